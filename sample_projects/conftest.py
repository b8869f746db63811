# The sample projects contain their own test suites (tests/test_*.py). They
# are data for mldebt, not tests of mldebt, so keep pytest out of this folder.
collect_ignore_glob = ["*"]
