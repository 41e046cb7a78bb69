# tests/unit/h1.mk: Check tests for the proxy's HTTP/1 parser (proxy/h1/h1_*.c),
# one program per idea: request line, field lines and framing, limits, and
# the chunked decoder; h1_check.h holds what they share.
# The parser is linked from proxy/libpxcore.a (its file list, PX_H1_SOURCES,
# is proxy/local.mk's), the HTTP field rules it shares from
# common/libtandemcommon.a (tc_http).

H1_UNIT_TESTS = tests/unit/test_h1_request_line tests/unit/test_h1_fields \
	tests/unit/test_h1_limits tests/unit/test_h1_chunked
check_PROGRAMS += $(H1_UNIT_TESTS)
TESTS += $(H1_UNIT_TESTS)

tests_unit_test_h1_request_line_SOURCES = tests/unit/test_h1_request_line.c \
	tests/unit/h1_check.h
tests_unit_test_h1_request_line_CPPFLAGS = $(AM_CPPFLAGS) $(PX_CPPFLAGS)
tests_unit_test_h1_request_line_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS)
tests_unit_test_h1_request_line_LDADD = proxy/libpxcore.a common/libtandemcommon.a $(CHECK_LIBS)

tests_unit_test_h1_fields_SOURCES = tests/unit/test_h1_fields.c tests/unit/h1_check.h
tests_unit_test_h1_fields_CPPFLAGS = $(AM_CPPFLAGS) $(PX_CPPFLAGS)
tests_unit_test_h1_fields_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS)
tests_unit_test_h1_fields_LDADD = proxy/libpxcore.a common/libtandemcommon.a $(CHECK_LIBS)

tests_unit_test_h1_limits_SOURCES = tests/unit/test_h1_limits.c tests/unit/h1_check.h
tests_unit_test_h1_limits_CPPFLAGS = $(AM_CPPFLAGS) $(PX_CPPFLAGS)
tests_unit_test_h1_limits_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS)
tests_unit_test_h1_limits_LDADD = proxy/libpxcore.a common/libtandemcommon.a $(CHECK_LIBS)

tests_unit_test_h1_chunked_SOURCES = tests/unit/test_h1_chunked.c tests/unit/h1_check.h
tests_unit_test_h1_chunked_CPPFLAGS = $(AM_CPPFLAGS) $(PX_CPPFLAGS)
tests_unit_test_h1_chunked_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS)
tests_unit_test_h1_chunked_LDADD = proxy/libpxcore.a common/libtandemcommon.a $(CHECK_LIBS)
