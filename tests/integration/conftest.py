"""conftest.py: shared fixtures: a development certificate and running stacks."""
import os
import subprocess
import sys

import pytest

sys.path.insert(0, os.path.dirname(__file__))
from harness import ROOT, Stack  # noqa: E402


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
