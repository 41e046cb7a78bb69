# tests/unit/proxy.mk: Check tests for tandem-proxy's pure parts (settings,
# ALPN, trusted peers, header helpers, priority signals, balancer, wait
# queue), compiled from proxy/ sources.
check_PROGRAMS += tests/unit/test_proxy_settings tests/unit/test_proxy_logic
TESTS += tests/unit/test_proxy_settings tests/unit/test_proxy_logic

tests_unit_test_proxy_settings_SOURCES = tests/unit/test_proxy_settings.c \
	proxy/px_settings.c proxy/px_settings.h proxy/px_trust.c proxy/px_trust.h
tests_unit_test_proxy_settings_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/proxy
tests_unit_test_proxy_settings_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS)
tests_unit_test_proxy_settings_LDADD = common/libtandemcommon.a $(CHECK_LIBS)

tests_unit_test_proxy_logic_SOURCES = tests/unit/test_proxy_logic.c \
	proxy/px_queue.c proxy/px_queue.h proxy/px_balance.c proxy/px_balance.h \
	proxy/px_hdr.c proxy/px_hdr.h proxy/px_prio.c proxy/px_prio.h
tests_unit_test_proxy_logic_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/proxy
tests_unit_test_proxy_logic_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS) -pthread
tests_unit_test_proxy_logic_LDADD = $(CHECK_LIBS) -lpthread
