# common/local.mk: utilities shared by the daemons and the front (log, settings, addresses,
# sd_notify and socket activation, the HTTP field rules).
noinst_LIBRARIES += common/libtandemcommon.a
common_libtandemcommon_a_SOURCES = \
	common/tc_log.c common/tc_log.h \
	common/tc_opt.c common/tc_opt.h \
	common/tc_addr.c common/tc_addr.h \
	common/tc_notify.c common/tc_notify.h \
	common/tc_sdlisten.c common/tc_sdlisten.h \
	common/tc_http.c common/tc_http.h
