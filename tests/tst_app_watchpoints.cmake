# The main window lives in the chronoscope_gui library (app/gui), not in chronoscope_views.
if(TARGET chronoscope_gui)
  target_link_libraries(tst_app_watchpoints PRIVATE chronoscope_gui)
endif()
