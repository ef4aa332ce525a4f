# The main window lives in the chronoscope_gui library (app/gui), not in chronoscope_views.
if(TARGET chronoscope_gui)
  target_link_libraries(tst_app_storydock PRIVATE chronoscope_gui)
endif()
# The window loads its icon from the app's resources; compile them into the test too.
if(EXISTS ${PROJECT_SOURCE_DIR}/resources/app.qrc)
  qt_add_resources(tst_app_storydock_res ${PROJECT_SOURCE_DIR}/resources/app.qrc)
  target_sources(tst_app_storydock PRIVATE ${tst_app_storydock_res})
endif()
