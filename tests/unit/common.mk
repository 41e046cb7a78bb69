# tests/unit/common.mk: Check tests for common/ (settings tables, addresses, log levels).
check_PROGRAMS += tests/unit/test_common
TESTS += tests/unit/test_common
tests_unit_test_common_SOURCES = tests/unit/test_common.c
tests_unit_test_common_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS)
tests_unit_test_common_LDADD = common/libtandemcommon.a $(CHECK_LIBS)
