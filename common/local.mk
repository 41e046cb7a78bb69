# common/local.mk: utilities shared by the daemons and the front: log (and its
# syslog and statsd clients), settings
# tables and their sources (config file reader, GUNICORN_CMD_ARGS, Gunicorn's
# names), addresses, sd_notify and socket activation, the HTTP field rules,
# name hints.
noinst_LIBRARIES += common/libtandemcommon.a
common_libtandemcommon_a_SOURCES = \
	common/tc_log.c common/tc_log.h \
	common/tc_syslog.c common/tc_syslog.h \
	common/tc_statsd.c common/tc_statsd.h common/tc_decimal.h \
	common/tc_logsinks.c common/tc_logsinks.h \
	common/tc_logconf.c common/tc_logconf.h common/tc_logconf_int.h common/tc_logconf_ini.c \
	common/tc_ini.c common/tc_ini.h common/tc_json.c common/tc_json.h \
	common/tc_opt.c common/tc_opt.h \
	common/tc_pyval.c common/tc_pyval.h \
	common/tc_pylex.c common/tc_pylex.h \
	common/tc_pylit.c common/tc_pylit.h \
	common/tc_pyconf.c common/tc_pyconf.h \
	common/tc_addr.c common/tc_addr.h \
	common/tc_notify.c common/tc_notify.h \
	common/tc_pidfile.c common/tc_pidfile.h \
	common/tc_suggest.c common/tc_suggest.h \
	common/tc_shlex.c common/tc_shlex.h \
	common/tc_conf.c common/tc_conf.h \
	common/tc_gunicorn.c common/tc_gunicorn.h \
	common/tc_sdlisten.c common/tc_sdlisten.h \
	common/tc_http.c common/tc_http.h \
	common/tc_privs.c common/tc_privs.h \
	common/tc_daemon.c common/tc_daemon.h \
	common/tc_ctl.c common/tc_ctl.h \
	common/tc_ctlout.c common/tc_ctlout.h \
	common/tc_ctlcmd.c common/tc_ctlcmd.h
