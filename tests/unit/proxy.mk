# tests/unit/proxy.mk: Check tests for tandem-proxy's pure parts (settings,
# ALPN, trusted peers, header helpers, priority signals, balancer, wait
# queue), linked from proxy/libpxcore.a.
check_PROGRAMS += tests/unit/test_proxy_settings tests/unit/test_proxy_logic
TESTS += tests/unit/test_proxy_settings tests/unit/test_proxy_logic

tests_unit_test_proxy_settings_SOURCES = tests/unit/test_proxy_settings.c
tests_unit_test_proxy_settings_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/proxy
tests_unit_test_proxy_settings_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS)
tests_unit_test_proxy_settings_LDADD = proxy/libpxcore.a common/libtandemcommon.a $(CHECK_LIBS)

tests_unit_test_proxy_logic_SOURCES = tests/unit/test_proxy_logic.c
tests_unit_test_proxy_logic_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/proxy
tests_unit_test_proxy_logic_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS) -pthread
tests_unit_test_proxy_logic_LDADD = proxy/libpxcore.a $(CHECK_LIBS) -lpthread
