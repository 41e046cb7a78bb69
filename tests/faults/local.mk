# tests/faults/local.mk: test-only helpers that inject faults into the real
# daemons (included by the top Makefile.am).
#  - tests/faults/failmalloc.so: an LD_PRELOAD shim failing one chosen
#    allocation (test_faults_malloc.py).  Built by `make check`, never
#    installed, and not instrumented itself: under ASan it sits between the
#    daemon and ASan's allocator (ASAN_OPTIONS=verify_asan_link_order=0).
check_PROGRAMS += tests/faults/failmalloc.so
tests_faults_failmalloc_so_SOURCES = tests/faults/failmalloc.c
tests_faults_failmalloc_so_CFLAGS = -fPIC -O1 -Wall -Wextra
tests_faults_failmalloc_so_LDFLAGS = -shared
tests_faults_failmalloc_so_LDADD = -ldl
