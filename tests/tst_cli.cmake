# tst_cli runs the real chronoscope-cli binary: build it before the test.
add_dependencies(tst_cli chronoscope-cli)
set_tests_properties(tst_cli PROPERTIES TIMEOUT 300)
