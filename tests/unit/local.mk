# tests/unit/local.mk: Check unit tests, one fragment per module under test.
include $(srcdir)/tests/unit/common.mk
include $(srcdir)/tests/unit/protocol.mk
include $(srcdir)/tests/unit/h1.mk
include $(srcdir)/tests/unit/proxy.mk
include $(srcdir)/tests/unit/appd.mk
include $(srcdir)/tests/unit/front.mk
