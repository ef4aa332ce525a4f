# The first five minutes (issue 15, item 3): the main window from the chronoscope_gui library, its resources,
# and the real chronoscope binary for --help/--version without a display.
if(TARGET chronoscope_gui)
  target_link_libraries(tst_app_firstminutes PRIVATE chronoscope_gui)
endif()
if(EXISTS ${PROJECT_SOURCE_DIR}/resources/app.qrc)
  qt_add_resources(tst_app_firstminutes_res ${PROJECT_SOURCE_DIR}/resources/app.qrc)
  target_sources(tst_app_firstminutes PRIVATE ${tst_app_firstminutes_res})
endif()
if(TARGET chronoscope)
  add_dependencies(tst_app_firstminutes chronoscope)
endif()
target_include_directories(tst_app_firstminutes PRIVATE ${CMAKE_BINARY_DIR}/generated) # chronoscope_version.h
