"""conftest.py: shared fixtures: a development certificate and running stacks
(tandem's own, or a tandem-proxy in front of a misbehaving worker); a failing
test's report carries the logs of the daemons still running for it."""
import os
import subprocess
import sys

import pytest

sys.path.insert(0, os.path.dirname(__file__))
import daemon_logs  # noqa: E402
from evil_worker import EvilStack  # noqa: E402
from harness import ROOT, Stack  # noqa: E402


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    """On failure, one report section per daemon alive in the test (fixtures
    of every scope included) with its log's tail: CI shows them under
    FAILURES."""
    outcome = yield
    report = outcome.get_result()
    if report.failed:
        for title, text in daemon_logs.tails():
            report.sections.append((title, text))
    if report.when == "teardown":
        daemon_logs.end_of_test()


@pytest.fixture(scope="session")
def certs(tmp_path_factory):
    d = tmp_path_factory.mktemp("certs")
    subprocess.run([os.path.join(ROOT, "contrib", "dev", "devcert"), str(d)], check=True,
                   capture_output=True)
    return str(d / "cert.pem"), str(d / "key.pem")


@pytest.fixture(scope="module")
def tls_stack(certs):
    s = Stack(workers=2, appd_args=["-k", "gthread", "--threads", "4"], tls=certs)
    yield s
    s.close()


@pytest.fixture
def evil():
    """tandem-proxy (cleartext) in front of evil_worker.EvilWorker."""
    s = EvilStack()
    yield s
    s.close()


@pytest.fixture
def evil_tls(certs):
    """The same over TLS (h2 and http/1.1), with a 2 s --timeout."""
    s = EvilStack(tls=certs, proxy_args=["--timeout", "2"])
    yield s
    s.close()
