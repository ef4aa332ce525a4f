# Present mode (app/gui/present*): the shipped story on the bundled demo store, the chronoscope binary for the
# screenshot options, and live chapters against the loopback Redis fixture (tests/fixtures/remote_redis.sh).
include(${CMAKE_CURRENT_SOURCE_DIR}/fixtures/remote_fixtures.cmake)
set_tests_properties(tst_app_present PROPERTIES FIXTURES_REQUIRED remote_redis)
target_include_directories(tst_app_present PRIVATE ${CMAKE_CURRENT_SOURCE_DIR})
if(TARGET chronoscope_gui)
  target_link_libraries(tst_app_present PRIVATE chronoscope_gui)
endif()
if(TARGET PkgConfig::HIREDIS)
  target_link_libraries(tst_app_present PRIVATE PkgConfig::HIREDIS)
endif()
if(TARGET chronoscope)
  add_dependencies(tst_app_present chronoscope)
endif()
