# tst_projection_cli runs the real chronoscope-cli binary: build it before the test.
add_dependencies(tst_projection_cli chronoscope-cli)
