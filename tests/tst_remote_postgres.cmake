include(${CMAKE_CURRENT_SOURCE_DIR}/fixtures/remote_fixtures.cmake)
set_tests_properties(tst_remote_postgres PROPERTIES FIXTURES_REQUIRED remote_postgres)
target_include_directories(tst_remote_postgres PRIVATE ${CMAKE_CURRENT_SOURCE_DIR})
if(TARGET PkgConfig::TST_LIBPQ)
  target_link_libraries(tst_remote_postgres PRIVATE PkgConfig::TST_LIBPQ)
endif()
# The eventsourcing fixture compresses with zlib and encrypts with OpenSSL as eventsourcing does.
target_link_libraries(tst_remote_postgres PRIVATE OpenSSL::Crypto ZLIB::ZLIB)
