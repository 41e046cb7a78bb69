# tests/unit/h1.mk: Check tests for the proxy's HTTP/1 parser (proxy/h1_*.c),
# linked from proxy/libpxcore.a.
check_PROGRAMS += tests/unit/test_h1_parser
TESTS += tests/unit/test_h1_parser
tests_unit_test_h1_parser_SOURCES = tests/unit/test_h1_parser.c
tests_unit_test_h1_parser_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/proxy
tests_unit_test_h1_parser_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS)
tests_unit_test_h1_parser_LDADD = proxy/libpxcore.a $(CHECK_LIBS)
