# The Kafka source against librdkafka's mock cluster, started inside the test (tests/fixtures/kafkamock.h);
# kafka_mock_cluster is the same cluster as a program, for benchmarks and trying the CLI by hand.
pkg_check_modules(RDKAFKA_TEST IMPORTED_TARGET rdkafka)
if(TARGET PkgConfig::RDKAFKA_TEST)
  target_link_libraries(tst_kafka PRIVATE PkgConfig::RDKAFKA_TEST)
  target_compile_definitions(tst_kafka PRIVATE CHRONOSCOPE_TEST_RDKAFKA=1)
  target_include_directories(tst_kafka PRIVATE ${CMAKE_CURRENT_SOURCE_DIR})
  add_executable(kafka_mock_cluster ${CMAKE_CURRENT_SOURCE_DIR}/fixtures/kafka_mock_cluster.cpp)
  target_link_libraries(kafka_mock_cluster PRIVATE PkgConfig::RDKAFKA_TEST Qt6::Core)
  add_dependencies(tst_kafka chronoscope-cli kafka_mock_cluster)
  set_tests_properties(tst_kafka PROPERTIES LABELS "remote;kafka" TIMEOUT 180)
endif()
