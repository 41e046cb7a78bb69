# tests/unit/appd.mk: Check tests for appd's pure-C parts, one program per
# module (test_ad_MODULE.c): the HTTP rules of the WSGI layer (ad_http.c:
# environ keys, duplicates, status lines; the field rules it shares with the
# proxy are common/tc_http's) and the settings parser (ad_settings.c).
AD_UNIT_TESTS = tests/unit/test_ad_http tests/unit/test_ad_settings
check_PROGRAMS += $(AD_UNIT_TESTS)
TESTS += $(AD_UNIT_TESTS)

tests_unit_test_ad_http_SOURCES = tests/unit/test_ad_http.c
tests_unit_test_ad_http_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/appd
tests_unit_test_ad_http_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS)
tests_unit_test_ad_http_LDADD = appd/libappdcore.a protocol/libtandemproto.a \
	common/libtandemcommon.a $(CHECK_LIBS)

tests_unit_test_ad_settings_SOURCES = tests/unit/test_ad_settings.c
tests_unit_test_ad_settings_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/appd
tests_unit_test_ad_settings_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS)
# The proxy's table checks its access-log format, which reads requests with
# appd's HTTP rules: appd's library again after the proxy's.
tests_unit_test_ad_settings_LDADD = appd/libappdcore.a proxy/libpxcore.a appd/libappdcore.a \
	protocol/libtandemproto.a common/libtandemcommon.a $(CHECK_LIBS)

# The worker's scheduler (ad_sched.c), with fake streams and connections.
AD_UNIT_TESTS += tests/unit/test_ad_sched
tests_unit_test_ad_sched_SOURCES = tests/unit/test_ad_sched.c
tests_unit_test_ad_sched_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/appd
tests_unit_test_ad_sched_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS)
tests_unit_test_ad_sched_LDADD = appd/libappdcore.a protocol/libtandemproto.a \
	common/libtandemcommon.a $(CHECK_LIBS)

# The response rules (ad_response.c), over C values and decoded frames.
AD_UNIT_TESTS += tests/unit/test_ad_response
tests_unit_test_ad_response_SOURCES = tests/unit/test_ad_response.c
tests_unit_test_ad_response_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/appd
tests_unit_test_ad_response_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS)
tests_unit_test_ad_response_LDADD = appd/libappdcore.a protocol/libtandemproto.a \
	common/libtandemcommon.a $(CHECK_LIBS)

# A WebSocket stream's incoming message queue and its credit rule (ad_wsq.c).
AD_UNIT_TESTS += tests/unit/test_ad_wsq
tests_unit_test_ad_wsq_SOURCES = tests/unit/test_ad_wsq.c
tests_unit_test_ad_wsq_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/appd
tests_unit_test_ad_wsq_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS)
tests_unit_test_ad_wsq_LDADD = appd/libappdcore.a $(CHECK_LIBS)
