# front/local.mk: tandem(1), the one-command front that runs both daemons.
# libfrcore.a holds its command line (each flag routed by the daemons' own
# settings tables, --help made from them) for tandem and the unit tests.
noinst_LIBRARIES += front/libfrcore.a
front_libfrcore_a_SOURCES = \
	front/fr_args.c front/fr_args.h \
	front/fr_flags.c front/fr_flags.h \
	front/fr_signal.c front/fr_signal.h \
	front/fr_suggest.c \
	front/fr_usage.c
front_libfrcore_a_CPPFLAGS = $(AM_CPPFLAGS) $(PX_CPPFLAGS) -I$(top_srcdir)/appd

bin_PROGRAMS += front/tandem
front_tandem_SOURCES = front/main.c front/fr_check.c front/fr_check.h
front_tandem_CPPFLAGS = $(AM_CPPFLAGS) -DSBINDIR='"$(sbindir)"'
# The daemons' tables come from their core libraries: no libpython, libevent,
# OpenSSL or nghttp2 in tandem.
front_tandem_LDADD = front/libfrcore.a proxy/libpxcore.a appd/libappdcore.a \
	common/libtandemcommon.a
