# tests/unit/protocol.mk: Check tests for protocol/, one program per codec
# module (test_tp_MODULE.c) plus one for a whole exchange; tp_check.c holds
# the helpers they share.
TP_CHECK_SOURCES = tests/unit/tp_check.c tests/unit/tp_check.h
TP_UNIT_TESTS = tests/unit/test_tp_frame tests/unit/test_tp_buf tests/unit/test_tp_control \
	tests/unit/test_tp_fields tests/unit/test_tp_request tests/unit/test_tp_response \
	tests/unit/test_tp_exchange
check_PROGRAMS += $(TP_UNIT_TESTS)
TESTS += $(TP_UNIT_TESTS)

tests_unit_test_tp_frame_SOURCES = tests/unit/test_tp_frame.c $(TP_CHECK_SOURCES)
tests_unit_test_tp_frame_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS)
tests_unit_test_tp_frame_LDADD = protocol/libtandemproto.a $(CHECK_LIBS)

tests_unit_test_tp_buf_SOURCES = tests/unit/test_tp_buf.c $(TP_CHECK_SOURCES)
tests_unit_test_tp_buf_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS)
tests_unit_test_tp_buf_LDADD = protocol/libtandemproto.a $(CHECK_LIBS)

tests_unit_test_tp_control_SOURCES = tests/unit/test_tp_control.c $(TP_CHECK_SOURCES)
tests_unit_test_tp_control_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS)
tests_unit_test_tp_control_LDADD = protocol/libtandemproto.a $(CHECK_LIBS)

tests_unit_test_tp_fields_SOURCES = tests/unit/test_tp_fields.c $(TP_CHECK_SOURCES)
tests_unit_test_tp_fields_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS)
tests_unit_test_tp_fields_LDADD = protocol/libtandemproto.a $(CHECK_LIBS)

tests_unit_test_tp_request_SOURCES = tests/unit/test_tp_request.c $(TP_CHECK_SOURCES)
tests_unit_test_tp_request_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS)
tests_unit_test_tp_request_LDADD = protocol/libtandemproto.a $(CHECK_LIBS)

tests_unit_test_tp_response_SOURCES = tests/unit/test_tp_response.c $(TP_CHECK_SOURCES)
tests_unit_test_tp_response_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS)
tests_unit_test_tp_response_LDADD = protocol/libtandemproto.a $(CHECK_LIBS)

tests_unit_test_tp_exchange_SOURCES = tests/unit/test_tp_exchange.c $(TP_CHECK_SOURCES)
tests_unit_test_tp_exchange_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS)
tests_unit_test_tp_exchange_LDADD = protocol/libtandemproto.a $(CHECK_LIBS)
