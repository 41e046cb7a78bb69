# tests/unit/local.mk: Check unit tests, one fragment per tested folder and
# in it one program per module (test_PREFIX_MODULE.c; h1's parser by idea).
include $(srcdir)/tests/unit/common.mk
include $(srcdir)/tests/unit/protocol.mk
include $(srcdir)/tests/unit/h1.mk
include $(srcdir)/tests/unit/proxy.mk
include $(srcdir)/tests/unit/ws.mk
include $(srcdir)/tests/unit/appd.mk
include $(srcdir)/tests/unit/front.mk
