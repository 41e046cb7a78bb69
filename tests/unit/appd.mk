# tests/unit/appd.mk: Check tests for appd's pure-C parts: the HTTP rules of
# the WSGI layer (ad_http.c: environ keys, response header and trailer field
# checks) and the settings parser (ad_settings.c).
check_PROGRAMS += tests/unit/test_appd_http tests/unit/test_appd_settings
TESTS += tests/unit/test_appd_http tests/unit/test_appd_settings
tests_unit_test_appd_http_SOURCES = tests/unit/test_appd_http.c
tests_unit_test_appd_http_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/appd
tests_unit_test_appd_http_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS)
tests_unit_test_appd_http_LDADD = appd/libappdcore.a protocol/libtandemproto.a \
	common/libtandemcommon.a $(CHECK_LIBS)
tests_unit_test_appd_settings_SOURCES = tests/unit/test_appd_settings.c
tests_unit_test_appd_settings_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/appd
tests_unit_test_appd_settings_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS)
tests_unit_test_appd_settings_LDADD = appd/libappdcore.a protocol/libtandemproto.a \
	common/libtandemcommon.a $(CHECK_LIBS)
