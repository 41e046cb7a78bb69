# man/local.mk: build rules for man/ (included by the top Makefile.am)
dist_man_MANS += man/tandem.1
dist_man_MANS += man/tandem.conf.5
dist_man_MANS += man/tandem-protocol.7
dist_man_MANS += man/tandem-appd.8
dist_man_MANS += man/tandem-proxy.8
dist_man_MANS += man/tandemctl.1
