# tests/unit/front.mk: Check tests for tandem's command line (front/fr_*.c):
# each flag's route by the daemons' settings tables, errors, --help,
# Gunicorn's spellings; each signal's route; and man/tandem.conf.5 against
# those tables.
check_PROGRAMS += tests/unit/test_fr_args
TESTS += tests/unit/test_fr_args
tests_unit_test_fr_args_SOURCES = tests/unit/test_fr_args.c
tests_unit_test_fr_args_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/front $(PX_CPPFLAGS) \
	-I$(top_srcdir)/appd
tests_unit_test_fr_args_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS)
tests_unit_test_fr_args_LDADD = front/libfrcore.a proxy/libpxcore.a appd/libappdcore.a \
	common/libtandemcommon.a $(CHECK_LIBS)

# Where tandem sends each signal.
check_PROGRAMS += tests/unit/test_fr_signal
TESTS += tests/unit/test_fr_signal
tests_unit_test_fr_signal_SOURCES = tests/unit/test_fr_signal.c
tests_unit_test_fr_signal_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/front
tests_unit_test_fr_signal_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS)
tests_unit_test_fr_signal_LDADD = front/libfrcore.a $(CHECK_LIBS)

# man/tandem.conf.5 checked against both daemons' tables.
check_PROGRAMS += tests/unit/test_man_conf
TESTS += tests/unit/test_man_conf
tests_unit_test_man_conf_SOURCES = tests/unit/test_man_conf.c
tests_unit_test_man_conf_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/proxy -I$(top_srcdir)/appd \
	-DMAN_CONF='"$(abs_top_srcdir)/man/tandem.conf.5"'
tests_unit_test_man_conf_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS)
tests_unit_test_man_conf_LDADD = proxy/libpxcore.a appd/libappdcore.a common/libtandemcommon.a \
	$(CHECK_LIBS)
