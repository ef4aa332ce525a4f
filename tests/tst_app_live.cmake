# The live tail in the main window runs against the loopback Redis fixture (tests/fixtures/remote_redis.sh).
include(${CMAKE_CURRENT_SOURCE_DIR}/fixtures/remote_fixtures.cmake)
set_tests_properties(tst_app_live PROPERTIES FIXTURES_REQUIRED remote_redis)
target_include_directories(tst_app_live PRIVATE ${CMAKE_CURRENT_SOURCE_DIR})
if(TARGET chronoscope_gui)
  target_link_libraries(tst_app_live PRIVATE chronoscope_gui)
endif()
target_link_libraries(tst_app_live PRIVATE Qt6::Network)  # the EventSourcingDB mock's control calls
if(TARGET PkgConfig::HIREDIS)
  target_link_libraries(tst_app_live PRIVATE PkgConfig::HIREDIS)
endif()
