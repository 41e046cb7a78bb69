# ctl/local.mk: tandemctl(1), the client of both daemons' control sockets
# (the request grammar and reply format live in common/tc_ctl.c).
bin_PROGRAMS += ctl/tandemctl
ctl_tandemctl_SOURCES = ctl/ctl_main.c
ctl_tandemctl_LDADD = common/libtandemcommon.a
