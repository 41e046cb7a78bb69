# bench/local.mk: bench/run (`make bench`) measures tandem beside its peers;
# idle-holder is its C client that holds thousands of idle TLS connections.
# Neither is installed.
noinst_PROGRAMS += bench/idle-holder
bench_idle_holder_SOURCES = bench/idle_holder.c
bench_idle_holder_CFLAGS = $(AM_CFLAGS) $(OPENSSL_CFLAGS)
bench_idle_holder_LDADD = $(OPENSSL_LIBS)

EXTRA_DIST += bench/run bench/README.md bench/app.py bench/hypercorn_app.py bench/builds.py \
	bench/chart.py bench/load.py bench/procs.py bench/report.py bench/scenarios.py \
	bench/stacks.py bench/results/latest.md bench/results/latest.svg bench/results/latest.json \
	bench/results/builds-wake.txt

# BENCH_ARGS passes options through, e.g. make bench BENCH_ARGS=--quick
.PHONY: bench
bench:
	$(top_srcdir)/bench/run $(BENCH_ARGS)
