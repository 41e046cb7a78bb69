# tests/integration/local.mk: pytest suites, shipped whole in the tarball; run by tests/run.
EXTRA_DIST += tests/integration tests/run tests/soak
