# tests/unit/h1.mk: Check tests for the proxy's HTTP/1 parser (proxy/h1_*.c),
# one program per idea: request line, field lines and framing, limits, and
# the chunked decoder; h1_check.h holds what they share.
# PX_H1_SOURCES is the parser's one file list: tandem-proxy, these tests and
# the fuzz target all compile it in (per-target objects, no library).
PX_H1_SOURCES = proxy/h1_parser.c proxy/h1_fields.c proxy/h1_lex.c proxy/h1_chunked.c \
	proxy/h1_internal.h proxy/h1_parser.h

H1_UNIT_TESTS = tests/unit/test_h1_request_line tests/unit/test_h1_fields \
	tests/unit/test_h1_limits tests/unit/test_h1_chunked
check_PROGRAMS += $(H1_UNIT_TESTS)
TESTS += $(H1_UNIT_TESTS)

tests_unit_test_h1_request_line_SOURCES = tests/unit/test_h1_request_line.c \
	tests/unit/h1_check.h $(PX_H1_SOURCES)
tests_unit_test_h1_request_line_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/proxy
tests_unit_test_h1_request_line_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS)
tests_unit_test_h1_request_line_LDADD = $(CHECK_LIBS)

tests_unit_test_h1_fields_SOURCES = tests/unit/test_h1_fields.c tests/unit/h1_check.h \
	$(PX_H1_SOURCES)
tests_unit_test_h1_fields_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/proxy
tests_unit_test_h1_fields_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS)
tests_unit_test_h1_fields_LDADD = $(CHECK_LIBS)

tests_unit_test_h1_limits_SOURCES = tests/unit/test_h1_limits.c tests/unit/h1_check.h \
	$(PX_H1_SOURCES)
tests_unit_test_h1_limits_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/proxy
tests_unit_test_h1_limits_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS)
tests_unit_test_h1_limits_LDADD = $(CHECK_LIBS)

tests_unit_test_h1_chunked_SOURCES = tests/unit/test_h1_chunked.c tests/unit/h1_check.h \
	$(PX_H1_SOURCES)
tests_unit_test_h1_chunked_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/proxy
tests_unit_test_h1_chunked_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS)
tests_unit_test_h1_chunked_LDADD = $(CHECK_LIBS)
