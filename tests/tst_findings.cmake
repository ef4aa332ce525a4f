# tst_findings runs the real chronoscope-cli binary for its CLI rows: build it before the test.
add_dependencies(tst_findings chronoscope-cli)
