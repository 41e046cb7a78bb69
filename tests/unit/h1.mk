# tests/unit/h1.mk: Check tests for the proxy's HTTP/1 parser (proxy/h1_*.c).
# PX_H1_SOURCES is the parser's one file list: tandem-proxy, this test and
# the fuzz target all compile it in (per-target objects, no library).
PX_H1_SOURCES = proxy/h1_parser.c proxy/h1_fields.c proxy/h1_lex.c proxy/h1_chunked.c \
	proxy/h1_internal.h proxy/h1_parser.h

check_PROGRAMS += tests/unit/test_h1_parser
TESTS += tests/unit/test_h1_parser
tests_unit_test_h1_parser_SOURCES = tests/unit/test_h1_parser.c $(PX_H1_SOURCES)
tests_unit_test_h1_parser_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/proxy
tests_unit_test_h1_parser_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS)
tests_unit_test_h1_parser_LDADD = $(CHECK_LIBS)
