# appd/local.mk: tandem-appd, the pre-fork WSGI application server.
# libappdcore.a holds the parts without Python (settings, HTTP rules, the
# scheduler, the response rules, the WebSocket message queue) so the unit tests link them without
# libpython.
noinst_LIBRARIES += appd/libappdcore.a
appd_libappdcore_a_SOURCES = \
	appd/ad_settings.c appd/ad_settings.h \
	appd/ad_http.c appd/ad_http.h \
	appd/ad_sched.c appd/ad_sched.h \
	appd/ad_response.c appd/ad_response.h \
	appd/ad_wsq.c appd/ad_wsq.h
# ad_settings.c knows the proxy's table too: a config file holds both daemons' names.
appd_libappdcore_a_CPPFLAGS = $(AM_CPPFLAGS) $(PX_CPPFLAGS)

sbin_PROGRAMS += appd/tandem-appd
appd_tandem_appd_SOURCES = \
	appd/main.c \
	appd/ad_exit.h \
	appd/ad_master.c appd/ad_master.h \
	appd/ad_procs.c appd/ad_procs.h \
	appd/ad_intake.c appd/ad_intake.h \
	appd/ad_privs.c appd/ad_privs.h \
	appd/ad_watch.c appd/ad_watch.h \
	appd/ad_reload.c appd/ad_reload.h \
	appd/ad_reexec.c appd/ad_reexec.h \
	appd/ad_hooks.c appd/ad_hooks.h \
	appd/ad_hooks_py.c appd/ad_hooks_py.h \
	appd/ad_ctl.c appd/ad_ctl.h \
	appd/ad_control.c appd/ad_control.h \
	appd/ad_signal.c appd/ad_signal.h \
	appd/ad_scoreboard.c appd/ad_scoreboard.h \
	appd/ad_proctitle.c appd/ad_proctitle.h \
	appd/ad_worker.c appd/ad_worker.h \
	appd/ad_wclass.c appd/ad_wclass.h \
	appd/ad_wclass_threads.c \
	appd/ad_ioloop.c appd/ad_ioloop.h \
	appd/ad_conn.c appd/ad_conn.h \
	appd/ad_stream.c appd/ad_stream.h \
	appd/ad_file.c appd/ad_file.h \
	appd/ad_python.c appd/ad_python.h \
	appd/ad_pyfields.c appd/ad_pyfields.h \
	appd/ad_logging.c appd/ad_logging.h \
	appd/ad_config.c appd/ad_config.h \
	appd/wsgi.c appd/wsgi.h appd/wsgi_req.h \
	appd/wsgi_environ.c \
	appd/wsgi_fields.c \
	appd/wsgi_input.c \
	appd/wsgi_response.c \
	appd/wsgi_start.c \
	appd/wsgi_ext.c \
	appd/wsgi_file.c \
	appd/wsgi_errors.c \
	appd/ad_wclass_asgi.c \
	appd/ad_wclass_gevent.c \
	appd/asgi.h appd/asgi_int.h \
	appd/asgi_req.c \
	appd/asgi_scope.c \
	appd/asgi_recv.c \
	appd/asgi_send.c \
	appd/asgi_fields.c \
	appd/asgi_done.c \
	appd/asgi_ws.c \
	appd/asgi_glue.c
appd_tandem_appd_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/proxy
appd_tandem_appd_CFLAGS = $(AM_CFLAGS) $(PYTHON_CFLAGS)
appd_tandem_appd_LDADD = appd/libappdcore.a proxy/libpxcore.a protocol/libtandemproto.a \
	common/libtandemcommon.a $(PYTHON_LIBS) -lpthread
