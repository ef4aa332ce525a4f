# tst_story_cli runs the real chronoscope-cli binary: build it before the test.
add_dependencies(tst_story_cli chronoscope-cli)
# The shipped story checks green on the bundled demo store (resources/demo.chronoscope, built by demo_store).
if(TARGET demo_store OR TARGET chronoscope-cli)
  add_test(NAME story_check_payment_outage
    COMMAND chronoscope-cli story check ${PROJECT_SOURCE_DIR}/resources/stories/payment-outage.chronostory.json
            --store ${PROJECT_BINARY_DIR}/resources/demo.chronoscope)
endif()
