# tests/unit/ws.mk: Check tests for the proxy's WebSocket parts (proxy/ws/),
# one program per module: UTF-8 validation and framing (linked from
# proxy/libpxcore.a), and the opening handshake (compiled here, with
# OpenSSL's SHA-1).
WS_UNIT_TESTS = tests/unit/test_ws_utf8 tests/unit/test_ws_frame tests/unit/test_ws_handshake
check_PROGRAMS += $(WS_UNIT_TESTS)
TESTS += $(WS_UNIT_TESTS)

tests_unit_test_ws_utf8_SOURCES = tests/unit/test_ws_utf8.c
tests_unit_test_ws_utf8_CPPFLAGS = $(AM_CPPFLAGS) $(PX_CPPFLAGS)
tests_unit_test_ws_utf8_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS)
tests_unit_test_ws_utf8_LDADD = proxy/libpxcore.a $(CHECK_LIBS)

tests_unit_test_ws_frame_SOURCES = tests/unit/test_ws_frame.c
tests_unit_test_ws_frame_CPPFLAGS = $(AM_CPPFLAGS) $(PX_CPPFLAGS)
tests_unit_test_ws_frame_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS)
tests_unit_test_ws_frame_LDADD = proxy/libpxcore.a $(CHECK_LIBS)

tests_unit_test_ws_handshake_SOURCES = tests/unit/test_ws_handshake.c \
	proxy/ws/ws_handshake.c proxy/ws/ws_handshake.h
tests_unit_test_ws_handshake_CPPFLAGS = $(AM_CPPFLAGS) $(PX_CPPFLAGS)
tests_unit_test_ws_handshake_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS) $(OPENSSL_CFLAGS)
tests_unit_test_ws_handshake_LDADD = common/libtandemcommon.a $(OPENSSL_LIBS) $(CHECK_LIBS)
