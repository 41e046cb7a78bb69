# front/local.mk: tandem(1), the one-command front that runs both daemons.
bin_PROGRAMS += front/tandem
front_tandem_SOURCES = front/main.c front/fr_args.c front/fr_args.h
front_tandem_CPPFLAGS = $(AM_CPPFLAGS) -DSBINDIR='"$(sbindir)"'
front_tandem_LDADD = common/libtandemcommon.a
