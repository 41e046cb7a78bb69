# proxy/local.mk: tandem-proxy (TLS, ALPN, HTTP/2 via nghttp2, HTTP/1 via the
# project's parser, upstream pool to tandem-appd).
# libpxcore.a holds the parts that need no event loop, TLS or nghttp2
# (settings, trusted peers, priority, queue, balancer, header helpers, the
# access-log format, the HTTP/1 parser, the WebSocket framing), so the unit
# tests and tandem(1) link them as they are.

# The HTTP/1 parser's one file list: the libFuzzer target (tests/fuzz) compiles
# these sources itself so its coverage instrumentation sees them.
PX_H1_SOURCES = proxy/h1/h1_parser.c proxy/h1/h1_fields.c proxy/h1/h1_lex.c \
	proxy/h1/h1_chunked.c proxy/h1/h1_internal.h proxy/h1/h1_parser.h

# The WebSocket framing and UTF-8 check: pure, fuzzed and unit-tested like
# the HTTP/1 parser, so listed once here too.
PX_WS_SOURCES = proxy/ws/ws_frame.c proxy/ws/ws_frame.h proxy/ws/ws_utf8.c proxy/ws/ws_utf8.h

# The HTTP/2 request-target rules: pure, fuzzed like the parsers above.
PX_H2_CHECK_SOURCES = proxy/h2/h2_check.c proxy/h2/h2_check.h

# proxy/ holds the generic core; proxy/h1/, proxy/h2/ and proxy/ws/ the protocols.
PX_CPPFLAGS = -I$(top_srcdir)/proxy -I$(top_srcdir)/proxy/h1 -I$(top_srcdir)/proxy/h2 \
	-I$(top_srcdir)/proxy/ws

noinst_LIBRARIES += proxy/libpxcore.a
proxy_libpxcore_a_SOURCES = \
	proxy/px_trust.c proxy/px_trust.h \
	proxy/px_forwarded.c proxy/px_forwarded.h \
	proxy/px_proxyproto.c proxy/px_proxyproto.h \
	proxy/px_prio.c proxy/px_prio.h \
	proxy/px_settings.c proxy/px_settings.h \
	proxy/px_config.c proxy/px_config.h \
	proxy/px_queue.c proxy/px_queue.h \
	proxy/px_balance.c proxy/px_balance.h \
	proxy/px_hdr.c proxy/px_hdr.h \
	proxy/px_idmap.c proxy/px_idmap.h \
	proxy/px_logfmt.c proxy/px_logfmt.h proxy/px_logfmt_int.h proxy/px_logenv.c \
	proxy/px_accesslog.c proxy/px_accesslog.h proxy/px_metrics.c proxy/px_metrics.h \
	$(PX_H1_SOURCES) $(PX_WS_SOURCES) $(PX_H2_CHECK_SOURCES)
# px_config.c reads appd's table too: a config file holds both daemons' names.
proxy_libpxcore_a_CPPFLAGS = $(AM_CPPFLAGS) $(PX_CPPFLAGS) -I$(top_srcdir)/appd
proxy_libpxcore_a_CFLAGS = $(AM_CFLAGS) -pthread

sbin_PROGRAMS += proxy/tandem-proxy
proxy_tandem_proxy_SOURCES = \
	proxy/main.c \
	proxy/px_server.c proxy/px_server.h proxy/px_thread.h \
	proxy/px_counters.c proxy/px_counters.h \
	proxy/px_control.c proxy/px_control.h \
	proxy/px_admin.c proxy/px_admin.h proxy/px_admin_body.c proxy/px_admin_page.c \
	proxy/px_listener.c proxy/px_listener.h \
	proxy/px_admit.c proxy/px_admit.h \
	proxy/px_limits.c proxy/px_limits.h \
	proxy/px_tls.c proxy/px_tls.h proxy/px_tls_client.c proxy/px_tls_client.h \
	proxy/px_reload.c proxy/px_reload.h \
	proxy/px_proto.c proxy/px_proto.h \
	proxy/px_conn.c proxy/px_conn.h proxy/px_conn_io.c proxy/px_conn_pp.c \
	proxy/px_stream.c proxy/px_stream.h proxy/px_stream_head.c proxy/px_stream_ghost.c \
	proxy/px_piece.c proxy/px_piece.h \
	proxy/px_stream_timer.c \
	proxy/px_stream_log.c proxy/px_stream_log.h \
	proxy/px_request.c proxy/px_request.h proxy/px_bodybuf.c proxy/px_bodybuf.h \
	proxy/px_budget.c proxy/px_budget.h \
	proxy/px_tunnel.c \
	proxy/px_dispatch.c proxy/px_dispatch.h \
	proxy/px_pool.c proxy/px_pool.h \
	proxy/px_upstream.c proxy/px_upstream.h proxy/px_upstream_int.h proxy/px_upstream_out.c \
	proxy/px_upstream_body.c \
	proxy/h1/h1_conn.c proxy/h1/h1_conn.h proxy/h1/h1_response.c \
	proxy/h2/h2_conn.h proxy/h2/h2_session.c proxy/h2/h2_request.c \
	proxy/h2/h2_priority.c proxy/h2/h2_response.c \
	proxy/h2/h2c.c proxy/h2/h2c.h proxy/h2/h2_websocket.c proxy/h2/h2_flood.c \
	proxy/ws/ws_handshake.c proxy/ws/ws_handshake.h \
	proxy/ws/ws_session.c proxy/ws/ws_session.h proxy/ws/ws_conn.c proxy/ws/ws_conn.h
proxy_tandem_proxy_CPPFLAGS = $(AM_CPPFLAGS) $(PX_CPPFLAGS)
proxy_tandem_proxy_CFLAGS = $(AM_CFLAGS) $(OPENSSL_CFLAGS) $(NGHTTP2_CFLAGS) $(LIBEVENT_CFLAGS) -pthread
proxy_tandem_proxy_LDADD = proxy/libpxcore.a appd/libappdcore.a protocol/libtandemproto.a \
	common/libtandemcommon.a \
	$(OPENSSL_LIBS) $(NGHTTP2_LIBS) $(LIBEVENT_LIBS) -lpthread
