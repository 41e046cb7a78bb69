# tests/fuzz/local.mk: build rules for tests/fuzz/ (included by the top Makefile.am)
# Each target is one self-contained block.  A target's source defines
# LLVMFuzzerTestOneInput (tests/fuzz/fuzz.h) and is built twice:
#  - tests/fuzz/fuzz_NAME: the libFuzzer binary, only with --enable-fuzz (CC=clang);
#  - tests/fuzz/fuzz_NAME_replay: the same source linked with replay_main.c,
#    run by `make check` with any compiler over the seed corpus plus
#    deterministic mutations of it (pass FILES or DIRS to replay those instead).

# ---- protocol: the wire codec (protocol/) ---------------------------------
FUZZ_PROTOCOL_SAN = -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined
check_PROGRAMS += tests/fuzz/fuzz_protocol_replay
TESTS += tests/fuzz/fuzz_protocol_replay
tests_fuzz_fuzz_protocol_replay_SOURCES = tests/fuzz/fuzz_protocol.c tests/fuzz/replay_main.c \
	tests/fuzz/fuzz.h
tests_fuzz_fuzz_protocol_replay_CPPFLAGS = $(AM_CPPFLAGS) \
	-DFUZZ_CORPUS_DIR='"$(abs_top_srcdir)/tests/fuzz/corpus/protocol"'
tests_fuzz_fuzz_protocol_replay_LDADD = protocol/libtandemproto.a
EXTRA_DIST += tests/fuzz/corpus/protocol
if ENABLE_FUZZ
noinst_PROGRAMS += tests/fuzz/fuzz_protocol
# The codec's own sources, so libFuzzer's coverage instrumentation sees them.
tests_fuzz_fuzz_protocol_SOURCES = tests/fuzz/fuzz_protocol.c tests/fuzz/fuzz.h \
	$(protocol_libtandemproto_a_SOURCES)
tests_fuzz_fuzz_protocol_CFLAGS = $(AM_CFLAGS) $(FUZZ_PROTOCOL_SAN)
tests_fuzz_fuzz_protocol_LDFLAGS = $(FUZZ_PROTOCOL_SAN)
endif
# ---- end protocol ---------------------------------------------------------

# ---- h1: the proxy's HTTP/1 request parser (proxy/h1/h1_*.c) -------------
# The replay links the parser from proxy/libpxcore.a; the libFuzzer binary
# compiles its sources (PX_H1_SOURCES, listed in proxy/local.mk) itself, so
# coverage instrumentation sees them.
FUZZ_H1_SAN = -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined
check_PROGRAMS += tests/fuzz/fuzz_h1_replay
TESTS += tests/fuzz/fuzz_h1_replay
tests_fuzz_fuzz_h1_replay_SOURCES = tests/fuzz/fuzz_h1.c tests/fuzz/replay_main.c \
	tests/fuzz/fuzz.h
tests_fuzz_fuzz_h1_replay_CPPFLAGS = $(AM_CPPFLAGS) $(PX_CPPFLAGS) \
	-DFUZZ_CORPUS_DIR='"$(abs_top_srcdir)/tests/fuzz/corpus/h1"'
tests_fuzz_fuzz_h1_replay_LDADD = proxy/libpxcore.a common/libtandemcommon.a
EXTRA_DIST += tests/fuzz/corpus/h1
if ENABLE_FUZZ
noinst_PROGRAMS += tests/fuzz/fuzz_h1
tests_fuzz_fuzz_h1_SOURCES = tests/fuzz/fuzz_h1.c tests/fuzz/fuzz.h $(PX_H1_SOURCES)
tests_fuzz_fuzz_h1_CPPFLAGS = $(AM_CPPFLAGS) $(PX_CPPFLAGS)
tests_fuzz_fuzz_h1_CFLAGS = $(AM_CFLAGS) $(FUZZ_H1_SAN)
tests_fuzz_fuzz_h1_LDFLAGS = $(FUZZ_H1_SAN)
tests_fuzz_fuzz_h1_LDADD = common/libtandemcommon.a
endif
# ---- end h1 ---------------------------------------------------------------

# ---- ws: the proxy's WebSocket frame parser (proxy/ws/ws_frame.c) --------
FUZZ_WS_SAN = -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined
check_PROGRAMS += tests/fuzz/fuzz_ws_replay
TESTS += tests/fuzz/fuzz_ws_replay
tests_fuzz_fuzz_ws_replay_SOURCES = tests/fuzz/fuzz_ws.c tests/fuzz/replay_main.c \
	tests/fuzz/fuzz.h
tests_fuzz_fuzz_ws_replay_CPPFLAGS = $(AM_CPPFLAGS) $(PX_CPPFLAGS) \
	-DFUZZ_CORPUS_DIR='"$(abs_top_srcdir)/tests/fuzz/corpus/ws"'
tests_fuzz_fuzz_ws_replay_LDADD = proxy/libpxcore.a
EXTRA_DIST += tests/fuzz/corpus/ws
if ENABLE_FUZZ
noinst_PROGRAMS += tests/fuzz/fuzz_ws
tests_fuzz_fuzz_ws_SOURCES = tests/fuzz/fuzz_ws.c tests/fuzz/fuzz.h $(PX_WS_SOURCES)
tests_fuzz_fuzz_ws_CPPFLAGS = $(AM_CPPFLAGS) $(PX_CPPFLAGS)
tests_fuzz_fuzz_ws_CFLAGS = $(AM_CFLAGS) $(FUZZ_WS_SAN)
tests_fuzz_fuzz_ws_LDFLAGS = $(FUZZ_WS_SAN)
endif
# ---- end ws ---------------------------------------------------------------

# ---- proxyproto: the proxy's PROXY protocol parser (proxy/px_proxyproto.c) --
FUZZ_PROXYPROTO_SAN = -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined
check_PROGRAMS += tests/fuzz/fuzz_proxyproto_replay
TESTS += tests/fuzz/fuzz_proxyproto_replay
tests_fuzz_fuzz_proxyproto_replay_SOURCES = tests/fuzz/fuzz_proxyproto.c tests/fuzz/replay_main.c \
	tests/fuzz/fuzz.h
tests_fuzz_fuzz_proxyproto_replay_CPPFLAGS = $(AM_CPPFLAGS) $(PX_CPPFLAGS) \
	-DFUZZ_CORPUS_DIR='"$(abs_top_srcdir)/tests/fuzz/corpus/proxyproto"'
tests_fuzz_fuzz_proxyproto_replay_LDADD = proxy/libpxcore.a
EXTRA_DIST += tests/fuzz/corpus/proxyproto
if ENABLE_FUZZ
noinst_PROGRAMS += tests/fuzz/fuzz_proxyproto
tests_fuzz_fuzz_proxyproto_SOURCES = tests/fuzz/fuzz_proxyproto.c tests/fuzz/fuzz.h \
	proxy/px_proxyproto.c proxy/px_proxyproto.h
tests_fuzz_fuzz_proxyproto_CPPFLAGS = $(AM_CPPFLAGS) $(PX_CPPFLAGS)
tests_fuzz_fuzz_proxyproto_CFLAGS = $(AM_CFLAGS) $(FUZZ_PROXYPROTO_SAN)
tests_fuzz_fuzz_proxyproto_LDFLAGS = $(FUZZ_PROXYPROTO_SAN)
endif
# ---- end proxyproto -------------------------------------------------------

# ---- pyconf: the config file reader (common/tc_py*.c) ---------------------
# The replay links the reader from common/libtandemcommon.a; the libFuzzer
# binary compiles its sources itself, so coverage instrumentation sees them.
FUZZ_PYCONF_SOURCES = common/tc_pyconf.c common/tc_pyconf.h common/tc_pylit.c \
	common/tc_pylit.h common/tc_pylex.c common/tc_pylex.h common/tc_pyval.c common/tc_pyval.h
# Both config readers' targets check that a value written back reads back.
FUZZ_ROUNDTRIP_SOURCES = tests/fuzz/roundtrip.c tests/fuzz/roundtrip.h
FUZZ_PYCONF_SAN = -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined
check_PROGRAMS += tests/fuzz/fuzz_pyconf_replay
TESTS += tests/fuzz/fuzz_pyconf_replay
tests_fuzz_fuzz_pyconf_replay_SOURCES = tests/fuzz/fuzz_pyconf.c tests/fuzz/replay_main.c \
	tests/fuzz/fuzz.h $(FUZZ_ROUNDTRIP_SOURCES)
tests_fuzz_fuzz_pyconf_replay_CPPFLAGS = $(AM_CPPFLAGS) \
	-DFUZZ_CORPUS_DIR='"$(abs_top_srcdir)/tests/fuzz/corpus/pyconf"'
tests_fuzz_fuzz_pyconf_replay_LDADD = common/libtandemcommon.a
EXTRA_DIST += tests/fuzz/corpus/pyconf
if ENABLE_FUZZ
noinst_PROGRAMS += tests/fuzz/fuzz_pyconf
tests_fuzz_fuzz_pyconf_SOURCES = tests/fuzz/fuzz_pyconf.c tests/fuzz/fuzz.h $(FUZZ_PYCONF_SOURCES) \
	$(FUZZ_ROUNDTRIP_SOURCES)
tests_fuzz_fuzz_pyconf_CFLAGS = $(AM_CFLAGS) $(FUZZ_PYCONF_SAN)
tests_fuzz_fuzz_pyconf_LDFLAGS = $(FUZZ_PYCONF_SAN)
endif
# ---- end pyconf -----------------------------------------------------------

# ---- ctl: the control socket's request parser (common/tc_ctl.c) ----------
FUZZ_CTL_SOURCES = common/tc_ctl.c common/tc_ctl.h common/tc_ctlout.c common/tc_ctlout.h
FUZZ_CTL_SAN = -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined
check_PROGRAMS += tests/fuzz/fuzz_ctl_replay
TESTS += tests/fuzz/fuzz_ctl_replay
tests_fuzz_fuzz_ctl_replay_SOURCES = tests/fuzz/fuzz_ctl.c tests/fuzz/replay_main.c \
	tests/fuzz/fuzz.h
tests_fuzz_fuzz_ctl_replay_CPPFLAGS = $(AM_CPPFLAGS) \
	-DFUZZ_CORPUS_DIR='"$(abs_top_srcdir)/tests/fuzz/corpus/ctl"'
tests_fuzz_fuzz_ctl_replay_LDADD = common/libtandemcommon.a
EXTRA_DIST += tests/fuzz/corpus/ctl
if ENABLE_FUZZ
noinst_PROGRAMS += tests/fuzz/fuzz_ctl
tests_fuzz_fuzz_ctl_SOURCES = tests/fuzz/fuzz_ctl.c tests/fuzz/fuzz.h $(FUZZ_CTL_SOURCES)
tests_fuzz_fuzz_ctl_CFLAGS = $(AM_CFLAGS) $(FUZZ_CTL_SAN)
tests_fuzz_fuzz_ctl_LDFLAGS = $(FUZZ_CTL_SAN)
endif
# ---- end ctl --------------------------------------------------------------

# ---- logfmt: the access-log format and line (proxy/px_logfmt.c, px_logenv.c)
# A format from the operator, a request from a client: the line must stay
# within its buffer and carry no control byte.  The libFuzzer binary compiles
# the two files itself; what they call comes from the libraries.
FUZZ_LOGFMT_SOURCES = proxy/px_logfmt.c proxy/px_logfmt.h proxy/px_logfmt_int.h proxy/px_logenv.c
FUZZ_LOGFMT_SAN = -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined
check_PROGRAMS += tests/fuzz/fuzz_logfmt_replay
TESTS += tests/fuzz/fuzz_logfmt_replay
tests_fuzz_fuzz_logfmt_replay_SOURCES = tests/fuzz/fuzz_logfmt.c tests/fuzz/replay_main.c \
	tests/fuzz/fuzz.h
tests_fuzz_fuzz_logfmt_replay_CPPFLAGS = $(AM_CPPFLAGS) $(PX_CPPFLAGS) \
	-DFUZZ_CORPUS_DIR='"$(abs_top_srcdir)/tests/fuzz/corpus/logfmt"'
tests_fuzz_fuzz_logfmt_replay_LDADD = proxy/libpxcore.a appd/libappdcore.a \
	common/libtandemcommon.a
EXTRA_DIST += tests/fuzz/corpus/logfmt
if ENABLE_FUZZ
noinst_PROGRAMS += tests/fuzz/fuzz_logfmt
tests_fuzz_fuzz_logfmt_SOURCES = tests/fuzz/fuzz_logfmt.c tests/fuzz/fuzz.h $(FUZZ_LOGFMT_SOURCES)
tests_fuzz_fuzz_logfmt_CPPFLAGS = $(AM_CPPFLAGS) $(PX_CPPFLAGS) -I$(top_srcdir)/appd
tests_fuzz_fuzz_logfmt_CFLAGS = $(AM_CFLAGS) $(FUZZ_LOGFMT_SAN)
tests_fuzz_fuzz_logfmt_LDFLAGS = $(FUZZ_LOGFMT_SAN)
tests_fuzz_fuzz_logfmt_LDADD = proxy/libpxcore.a appd/libappdcore.a common/libtandemcommon.a
endif
# ---- end logfmt -----------------------------------------------------------

# ---- logconf: the log configuration readers (common/tc_json.c, tc_ini.c,
# tc_logconf*.c), JSON or INI by the input's first byte.
FUZZ_LOGCONF_SOURCES = common/tc_json.c common/tc_json.h common/tc_ini.c common/tc_ini.h \
	common/tc_logconf.c common/tc_logconf.h common/tc_logconf_int.h common/tc_logconf_ini.c
FUZZ_LOGCONF_SAN = -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined
check_PROGRAMS += tests/fuzz/fuzz_logconf_replay
TESTS += tests/fuzz/fuzz_logconf_replay
tests_fuzz_fuzz_logconf_replay_SOURCES = tests/fuzz/fuzz_logconf.c tests/fuzz/replay_main.c \
	tests/fuzz/fuzz.h $(FUZZ_ROUNDTRIP_SOURCES)
tests_fuzz_fuzz_logconf_replay_CPPFLAGS = $(AM_CPPFLAGS) \
	-DFUZZ_CORPUS_DIR='"$(abs_top_srcdir)/tests/fuzz/corpus/logconf"'
tests_fuzz_fuzz_logconf_replay_LDADD = common/libtandemcommon.a
EXTRA_DIST += tests/fuzz/corpus/logconf
if ENABLE_FUZZ
noinst_PROGRAMS += tests/fuzz/fuzz_logconf
tests_fuzz_fuzz_logconf_SOURCES = tests/fuzz/fuzz_logconf.c tests/fuzz/fuzz.h \
	$(FUZZ_LOGCONF_SOURCES) $(FUZZ_ROUNDTRIP_SOURCES)
tests_fuzz_fuzz_logconf_CFLAGS = $(AM_CFLAGS) $(FUZZ_LOGCONF_SAN)
tests_fuzz_fuzz_logconf_LDFLAGS = $(FUZZ_LOGCONF_SAN)
tests_fuzz_fuzz_logconf_LDADD = common/libtandemcommon.a
endif
# ---- end logconf ----------------------------------------------------------

# ---- h2check: the HTTP/2 request-target rules (proxy/h2/h2_check.c) --------
FUZZ_H2CHECK_SAN = -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined
check_PROGRAMS += tests/fuzz/fuzz_h2check_replay
TESTS += tests/fuzz/fuzz_h2check_replay
tests_fuzz_fuzz_h2check_replay_SOURCES = tests/fuzz/fuzz_h2check.c tests/fuzz/replay_main.c \
	tests/fuzz/fuzz.h
tests_fuzz_fuzz_h2check_replay_CPPFLAGS = $(AM_CPPFLAGS) $(PX_CPPFLAGS) \
	-DFUZZ_CORPUS_DIR='"$(abs_top_srcdir)/tests/fuzz/corpus/h2check"'
tests_fuzz_fuzz_h2check_replay_LDADD = proxy/libpxcore.a common/libtandemcommon.a
EXTRA_DIST += tests/fuzz/corpus/h2check
if ENABLE_FUZZ
noinst_PROGRAMS += tests/fuzz/fuzz_h2check
# The rules lean on the HTTP/1 parser's character classes and authority.
tests_fuzz_fuzz_h2check_SOURCES = tests/fuzz/fuzz_h2check.c tests/fuzz/fuzz.h \
	$(PX_H2_CHECK_SOURCES) $(PX_H1_SOURCES) proxy/px_hdr.c proxy/px_hdr.h
tests_fuzz_fuzz_h2check_CPPFLAGS = $(AM_CPPFLAGS) $(PX_CPPFLAGS)
tests_fuzz_fuzz_h2check_CFLAGS = $(AM_CFLAGS) $(FUZZ_H2CHECK_SAN)
tests_fuzz_fuzz_h2check_LDFLAGS = $(FUZZ_H2CHECK_SAN)
tests_fuzz_fuzz_h2check_LDADD = common/libtandemcommon.a
endif
# ---- end h2check ----------------------------------------------------------
