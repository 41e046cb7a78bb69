# tests/unit/proxy.mk: Check tests for tandem-proxy's pure parts, one program
# per module (test_px_MODULE.c), compiled from proxy/ sources: the balancer
# and worker table, the wait queue, header helpers, priority signals, the
# settings (with ALPN) and trusted peers; px_check.h holds the settings
# fixture the last two share.
PX_UNIT_TESTS = tests/unit/test_px_balance tests/unit/test_px_queue tests/unit/test_px_hdr \
	tests/unit/test_px_prio tests/unit/test_px_settings tests/unit/test_px_trust
check_PROGRAMS += $(PX_UNIT_TESTS)
TESTS += $(PX_UNIT_TESTS)

tests_unit_test_px_balance_SOURCES = tests/unit/test_px_balance.c \
	proxy/px_balance.c proxy/px_balance.h
tests_unit_test_px_balance_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/proxy
tests_unit_test_px_balance_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS) -pthread
tests_unit_test_px_balance_LDADD = $(CHECK_LIBS) -lpthread

# The queue's bound is checked against the process-wide waiting count,
# which px_balance.c keeps.
tests_unit_test_px_queue_SOURCES = tests/unit/test_px_queue.c \
	proxy/px_queue.c proxy/px_queue.h proxy/px_balance.c proxy/px_balance.h
tests_unit_test_px_queue_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/proxy
tests_unit_test_px_queue_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS) -pthread
tests_unit_test_px_queue_LDADD = $(CHECK_LIBS) -lpthread

tests_unit_test_px_hdr_SOURCES = tests/unit/test_px_hdr.c proxy/px_hdr.c proxy/px_hdr.h
tests_unit_test_px_hdr_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/proxy
tests_unit_test_px_hdr_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS)
tests_unit_test_px_hdr_LDADD = $(CHECK_LIBS)

tests_unit_test_px_prio_SOURCES = tests/unit/test_px_prio.c proxy/px_prio.c proxy/px_prio.h
tests_unit_test_px_prio_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/proxy
tests_unit_test_px_prio_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS)
tests_unit_test_px_prio_LDADD = $(CHECK_LIBS)

tests_unit_test_px_settings_SOURCES = tests/unit/test_px_settings.c tests/unit/px_check.h \
	proxy/px_settings.c proxy/px_settings.h proxy/px_trust.c proxy/px_trust.h
tests_unit_test_px_settings_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/proxy
tests_unit_test_px_settings_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS)
tests_unit_test_px_settings_LDADD = common/libtandemcommon.a $(CHECK_LIBS)

tests_unit_test_px_trust_SOURCES = tests/unit/test_px_trust.c tests/unit/px_check.h \
	proxy/px_trust.c proxy/px_trust.h proxy/px_settings.c proxy/px_settings.h
tests_unit_test_px_trust_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/proxy
tests_unit_test_px_trust_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS)
tests_unit_test_px_trust_LDADD = common/libtandemcommon.a $(CHECK_LIBS)
