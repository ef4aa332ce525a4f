# The benchmarks' fast stand-in (tests/benchmarks/kurrentgrpc_bulkserver.cpp) is built with the tests, so this
# test can prove it serves what the Node stand-in serves. It links only the generated protobuf/gRPC code.
include(${CMAKE_CURRENT_SOURCE_DIR}/fixtures/kurrentgrpc_fixture.cmake)
target_include_directories(tst_kurrentgrpc_bulkserver PRIVATE ${CMAKE_CURRENT_SOURCE_DIR})
if(TARGET chronoscope_kurrentgrpc)
  add_executable(kurrentgrpc_bulkserver ${CMAKE_CURRENT_SOURCE_DIR}/benchmarks/kurrentgrpc_bulkserver.cpp)
  target_include_directories(kurrentgrpc_bulkserver PRIVATE $<TARGET_PROPERTY:chronoscope_kurrentgrpc,BINARY_DIR>/generated)
  target_link_libraries(kurrentgrpc_bulkserver PRIVATE chronoscope_kurrentgrpc)  # brings gRPC and protobuf along
  add_dependencies(tst_kurrentgrpc_bulkserver kurrentgrpc_bulkserver)
  target_compile_definitions(tst_kurrentgrpc_bulkserver PRIVATE CHRONOSCOPE_TEST_HAVE_GRPC=1
                             BULKSERVER="$<TARGET_FILE:kurrentgrpc_bulkserver>")
endif()
set_tests_properties(tst_kurrentgrpc_bulkserver PROPERTIES FIXTURES_REQUIRED remote_kurrentgrpc TIMEOUT 120)
