# protocol/local.mk: build rules for protocol/ (included by the top Makefile.am)
# The wire codec, linked by tandem-proxy, tandem-appd, the unit tests and the
# fuzz targets.  The libFuzzer target compiles these same sources itself (for
# coverage instrumentation), so this list is the one place they are named.
# Headers are listed as sources so they are distributed without a shared
# noinst_HEADERS that the top Makefile.am does not declare.
noinst_LIBRARIES += protocol/libtandemproto.a
protocol_libtandemproto_a_SOURCES = \
	protocol/tp.h \
	protocol/tp_wire.h \
	protocol/tp_buf.c \
	protocol/tp_control.c \
	protocol/tp_fields.c \
	protocol/tp_frame.c \
	protocol/tp_request.c \
	protocol/tp_response.c
