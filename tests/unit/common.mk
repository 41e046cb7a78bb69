# tests/unit/common.mk: Check tests for common/, one program per module
# (test_tc_MODULE.c): settings tables, bind addresses, log levels, HTTP field
# rules, socket activation, name hints, the config file reader, the sources of
# settings and their order, pid files, the syslog and statsd clients, the
# logging configuration (JSON, INI, dictConfig's shape), user/group/umask,
# the control socket's requests and replies.
TC_UNIT_TESTS = tests/unit/test_tc_opt tests/unit/test_tc_addr tests/unit/test_tc_log \
	tests/unit/test_tc_http tests/unit/test_tc_sdlisten tests/unit/test_tc_suggest \
	tests/unit/test_tc_pyconf tests/unit/test_tc_conf tests/unit/test_tc_pidfile \
	tests/unit/test_tc_syslog tests/unit/test_tc_statsd tests/unit/test_tc_logconf \
	tests/unit/test_tc_privs tests/unit/test_tc_ctl
check_PROGRAMS += $(TC_UNIT_TESTS)
TESTS += $(TC_UNIT_TESTS)

tests_unit_test_tc_opt_SOURCES = tests/unit/test_tc_opt.c
tests_unit_test_tc_opt_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS)
tests_unit_test_tc_opt_LDADD = common/libtandemcommon.a $(CHECK_LIBS)

tests_unit_test_tc_addr_SOURCES = tests/unit/test_tc_addr.c
tests_unit_test_tc_addr_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS)
tests_unit_test_tc_addr_LDADD = common/libtandemcommon.a $(CHECK_LIBS)

tests_unit_test_tc_log_SOURCES = tests/unit/test_tc_log.c
tests_unit_test_tc_log_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS)
tests_unit_test_tc_log_LDADD = common/libtandemcommon.a $(CHECK_LIBS)

tests_unit_test_tc_suggest_SOURCES = tests/unit/test_tc_suggest.c
tests_unit_test_tc_suggest_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS)
tests_unit_test_tc_suggest_LDADD = common/libtandemcommon.a $(CHECK_LIBS)

tests_unit_test_tc_pyconf_SOURCES = tests/unit/test_tc_pyconf.c
tests_unit_test_tc_pyconf_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS)
tests_unit_test_tc_pyconf_LDADD = common/libtandemcommon.a $(CHECK_LIBS)

tests_unit_test_tc_conf_SOURCES = tests/unit/test_tc_conf.c
tests_unit_test_tc_conf_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS)
tests_unit_test_tc_conf_LDADD = common/libtandemcommon.a $(CHECK_LIBS)

tests_unit_test_tc_http_SOURCES = tests/unit/test_tc_http.c
tests_unit_test_tc_http_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS)
tests_unit_test_tc_http_LDADD = common/libtandemcommon.a $(CHECK_LIBS)

tests_unit_test_tc_sdlisten_SOURCES = tests/unit/test_tc_sdlisten.c
tests_unit_test_tc_sdlisten_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS)
tests_unit_test_tc_sdlisten_LDADD = common/libtandemcommon.a $(CHECK_LIBS)

tests_unit_test_tc_pidfile_SOURCES = tests/unit/test_tc_pidfile.c
tests_unit_test_tc_pidfile_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS)
tests_unit_test_tc_pidfile_LDADD = common/libtandemcommon.a $(CHECK_LIBS)

tests_unit_test_tc_ctl_SOURCES = tests/unit/test_tc_ctl.c
tests_unit_test_tc_ctl_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS)
tests_unit_test_tc_ctl_LDADD = common/libtandemcommon.a $(CHECK_LIBS)

# Real sockets on loopback and in /tmp: the messages as a daemon receives them.
TC_CHECK_SOURCES = tests/unit/tc_check.c tests/unit/tc_check.h
tests_unit_test_tc_syslog_SOURCES = tests/unit/test_tc_syslog.c $(TC_CHECK_SOURCES)
tests_unit_test_tc_syslog_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS)
tests_unit_test_tc_syslog_LDADD = common/libtandemcommon.a $(CHECK_LIBS) -lpthread

tests_unit_test_tc_statsd_SOURCES = tests/unit/test_tc_statsd.c $(TC_CHECK_SOURCES)
tests_unit_test_tc_statsd_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS)
tests_unit_test_tc_statsd_LDADD = common/libtandemcommon.a $(CHECK_LIBS)

tests_unit_test_tc_logconf_SOURCES = tests/unit/test_tc_logconf.c
tests_unit_test_tc_logconf_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS)
tests_unit_test_tc_logconf_LDADD = common/libtandemcommon.a $(CHECK_LIBS)
tests_unit_test_tc_privs_SOURCES = tests/unit/test_tc_privs.c
tests_unit_test_tc_privs_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS)
tests_unit_test_tc_privs_LDADD = common/libtandemcommon.a $(CHECK_LIBS)
