# tests/unit/proxy.mk: Check tests for tandem-proxy's pure parts, one program
# per module (test_px_MODULE.c), linked from proxy/libpxcore.a: the balancer
# and worker table, the wait queue, header helpers, priority signals, the
# settings (with ALPN) and trusted peers, and the settings' sources (config
# file, variables, command line); px_check.h holds the settings fixture the
# settings and trust tests share; the access-log format (test_px_logfmt).
PX_UNIT_TESTS = tests/unit/test_px_balance tests/unit/test_px_queue tests/unit/test_px_hdr \
	tests/unit/test_px_prio tests/unit/test_px_settings tests/unit/test_px_trust \
	tests/unit/test_px_config tests/unit/test_px_idmap tests/unit/test_px_forwarded \
	tests/unit/test_px_proxyproto tests/unit/test_px_h2check tests/unit/test_px_logfmt
check_PROGRAMS += $(PX_UNIT_TESTS)
TESTS += $(PX_UNIT_TESTS)

tests_unit_test_px_balance_SOURCES = tests/unit/test_px_balance.c
tests_unit_test_px_balance_CPPFLAGS = $(AM_CPPFLAGS) $(PX_CPPFLAGS)
tests_unit_test_px_balance_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS) -pthread
tests_unit_test_px_balance_LDADD = proxy/libpxcore.a $(CHECK_LIBS) -lpthread

# The queue's bound is checked against the process-wide waiting count,
# which px_balance.c keeps.
tests_unit_test_px_queue_SOURCES = tests/unit/test_px_queue.c
tests_unit_test_px_queue_CPPFLAGS = $(AM_CPPFLAGS) $(PX_CPPFLAGS)
tests_unit_test_px_queue_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS) -pthread
tests_unit_test_px_queue_LDADD = proxy/libpxcore.a $(CHECK_LIBS) -lpthread

tests_unit_test_px_hdr_SOURCES = tests/unit/test_px_hdr.c
tests_unit_test_px_hdr_CPPFLAGS = $(AM_CPPFLAGS) $(PX_CPPFLAGS)
tests_unit_test_px_hdr_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS)
tests_unit_test_px_hdr_LDADD = proxy/libpxcore.a common/libtandemcommon.a $(CHECK_LIBS)

tests_unit_test_px_h2check_SOURCES = tests/unit/test_px_h2check.c
tests_unit_test_px_h2check_CPPFLAGS = $(AM_CPPFLAGS) $(PX_CPPFLAGS)
tests_unit_test_px_h2check_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS)
tests_unit_test_px_h2check_LDADD = proxy/libpxcore.a common/libtandemcommon.a $(CHECK_LIBS)

tests_unit_test_px_prio_SOURCES = tests/unit/test_px_prio.c
tests_unit_test_px_prio_CPPFLAGS = $(AM_CPPFLAGS) $(PX_CPPFLAGS)
tests_unit_test_px_prio_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS)
tests_unit_test_px_prio_LDADD = proxy/libpxcore.a common/libtandemcommon.a $(CHECK_LIBS)

tests_unit_test_px_settings_SOURCES = tests/unit/test_px_settings.c tests/unit/px_check.h
tests_unit_test_px_settings_CPPFLAGS = $(AM_CPPFLAGS) $(PX_CPPFLAGS)
tests_unit_test_px_settings_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS)
tests_unit_test_px_settings_LDADD = proxy/libpxcore.a appd/libappdcore.a common/libtandemcommon.a \
	$(CHECK_LIBS)

tests_unit_test_px_trust_SOURCES = tests/unit/test_px_trust.c tests/unit/px_check.h
tests_unit_test_px_trust_CPPFLAGS = $(AM_CPPFLAGS) $(PX_CPPFLAGS)
tests_unit_test_px_trust_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS)
tests_unit_test_px_trust_LDADD = proxy/libpxcore.a appd/libappdcore.a common/libtandemcommon.a \
	$(CHECK_LIBS)

tests_unit_test_px_forwarded_SOURCES = tests/unit/test_px_forwarded.c tests/unit/px_check.h
tests_unit_test_px_forwarded_CPPFLAGS = $(AM_CPPFLAGS) $(PX_CPPFLAGS)
tests_unit_test_px_forwarded_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS)
tests_unit_test_px_forwarded_LDADD = proxy/libpxcore.a appd/libappdcore.a \
	common/libtandemcommon.a $(CHECK_LIBS)

tests_unit_test_px_proxyproto_SOURCES = tests/unit/test_px_proxyproto.c
tests_unit_test_px_proxyproto_CPPFLAGS = $(AM_CPPFLAGS) $(PX_CPPFLAGS)
tests_unit_test_px_proxyproto_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS)
tests_unit_test_px_proxyproto_LDADD = proxy/libpxcore.a appd/libappdcore.a \
	common/libtandemcommon.a $(CHECK_LIBS)

# The config sources need appd's table too: a config file holds both daemons' names.
tests_unit_test_px_config_SOURCES = tests/unit/test_px_config.c
tests_unit_test_px_config_CPPFLAGS = $(AM_CPPFLAGS) $(PX_CPPFLAGS)
tests_unit_test_px_config_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS)
tests_unit_test_px_config_LDADD = proxy/libpxcore.a appd/libappdcore.a common/libtandemcommon.a \
	$(CHECK_LIBS)

tests_unit_test_px_idmap_SOURCES = tests/unit/test_px_idmap.c
tests_unit_test_px_idmap_CPPFLAGS = $(AM_CPPFLAGS) $(PX_CPPFLAGS)
tests_unit_test_px_idmap_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS)
tests_unit_test_px_idmap_LDADD = proxy/libpxcore.a $(CHECK_LIBS)

# The access-log format reads requests as appd's environ would (appd/ad_http.c).
tests_unit_test_px_logfmt_SOURCES = tests/unit/test_px_logfmt.c
tests_unit_test_px_logfmt_CPPFLAGS = $(AM_CPPFLAGS) $(PX_CPPFLAGS)
tests_unit_test_px_logfmt_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS)
tests_unit_test_px_logfmt_LDADD = proxy/libpxcore.a appd/libappdcore.a common/libtandemcommon.a \
	$(CHECK_LIBS)

# A request's life (px_stream.c, the tunnel of px_tunnel.c, px_dispatch.c) against the fakes of
# px_world.c (protocol, worker connection, pool), on a real event loop.
check_PROGRAMS += tests/unit/test_px_stream tests/unit/test_px_tunnel tests/unit/test_px_dispatch
TESTS += tests/unit/test_px_stream tests/unit/test_px_tunnel tests/unit/test_px_dispatch
PX_WORLD_SOURCES = tests/unit/px_world.c tests/unit/px_world.h proxy/px_stream.c proxy/px_piece.c \
	proxy/px_stream_head.c proxy/px_stream_ghost.c proxy/px_stream_log.c proxy/px_stream_timer.c \
	proxy/px_tunnel.c \
	proxy/px_dispatch.c proxy/px_bodybuf.c proxy/px_budget.c proxy/px_counters.c
PX_WORLD_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS) $(LIBEVENT_CFLAGS) -pthread
PX_WORLD_LDADD = proxy/libpxcore.a appd/libappdcore.a protocol/libtandemproto.a \
	common/libtandemcommon.a \
	$(LIBEVENT_LIBS) $(CHECK_LIBS) -lpthread
tests_unit_test_px_stream_SOURCES = tests/unit/test_px_stream.c $(PX_WORLD_SOURCES)
tests_unit_test_px_stream_CPPFLAGS = $(AM_CPPFLAGS) $(PX_CPPFLAGS)
tests_unit_test_px_stream_CFLAGS = $(PX_WORLD_CFLAGS)
tests_unit_test_px_stream_LDADD = $(PX_WORLD_LDADD)
tests_unit_test_px_tunnel_SOURCES = tests/unit/test_px_tunnel.c $(PX_WORLD_SOURCES)
tests_unit_test_px_tunnel_CPPFLAGS = $(AM_CPPFLAGS) $(PX_CPPFLAGS)
tests_unit_test_px_tunnel_CFLAGS = $(PX_WORLD_CFLAGS)
tests_unit_test_px_tunnel_LDADD = $(PX_WORLD_LDADD)
tests_unit_test_px_dispatch_SOURCES = tests/unit/test_px_dispatch.c $(PX_WORLD_SOURCES)
tests_unit_test_px_dispatch_CPPFLAGS = $(AM_CPPFLAGS) $(PX_CPPFLAGS)
tests_unit_test_px_dispatch_CFLAGS = $(PX_WORLD_CFLAGS)
tests_unit_test_px_dispatch_LDADD = $(PX_WORLD_LDADD)
