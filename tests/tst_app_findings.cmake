# The main window lives in the chronoscope_gui library (app/gui), not in chronoscope_views.
if(TARGET chronoscope_gui)
  target_link_libraries(tst_app_findings PRIVATE chronoscope_gui)
endif()
if(EXISTS ${PROJECT_SOURCE_DIR}/resources/app.qrc)
  qt_add_resources(tst_app_findings_res ${PROJECT_SOURCE_DIR}/resources/app.qrc)
  target_sources(tst_app_findings PRIVATE ${tst_app_findings_res})
endif()
