# tests/unit/front.mk: Check tests for tandem's command line (front/fr_*.c):
# each flag's route by the daemons' settings tables, errors, --help.
check_PROGRAMS += tests/unit/test_fr_args
TESTS += tests/unit/test_fr_args
tests_unit_test_fr_args_SOURCES = tests/unit/test_fr_args.c
tests_unit_test_fr_args_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/front $(PX_CPPFLAGS) \
	-I$(top_srcdir)/appd
tests_unit_test_fr_args_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS)
tests_unit_test_fr_args_LDADD = front/libfrcore.a proxy/libpxcore.a appd/libappdcore.a \
	common/libtandemcommon.a $(CHECK_LIBS)
