# tests/unit/protocol.mk: Check tests for protocol
check_PROGRAMS += tests/unit/test_protocol
TESTS += tests/unit/test_protocol
tests_unit_test_protocol_SOURCES = tests/unit/test_protocol.c
tests_unit_test_protocol_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS)
tests_unit_test_protocol_LDADD = protocol/libtandemproto.a $(CHECK_LIBS)
