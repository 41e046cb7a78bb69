"""test_manpages.py: every flag a program's --help lists is documented in its
man page, and every page renders without groff warnings."""
import os
import re
import subprocess

import pytest

from harness import APPD, BUILD, FRONT, PROXY, ROOT

PAGES = {
    PROXY: "man/tandem-proxy.8",
    APPD: "man/tandem-appd.8",
    FRONT: "man/tandem.1",
    os.path.join(BUILD, "ctl", "tandemctl"): "man/tandemctl.1",
}


def _flags(text):
    return set(re.findall(r"(?<![\w-])(--[a-z0-9][a-z0-9-]*)", text))


@pytest.mark.parametrize("prog", sorted(PAGES))
def test_help_flags_in_man_page(prog):
    r = subprocess.run([prog, "--help"], capture_output=True, timeout=10)
    assert r.returncode == 0
    helped = _flags(r.stdout.decode())
    assert len(helped) > 5, r.stdout
    with open(os.path.join(ROOT, PAGES[prog])) as f:
        page = f.read().replace("\\-", "-")
    missing = sorted(helped - _flags(page))
    assert not missing, "%s lacks %s" % (PAGES[prog], missing)


@pytest.mark.parametrize("page", ["tandem.1", "tandem.conf.5", "tandem-proxy.8", "tandem-appd.8",
                                  "tandem-protocol.7", "tandemctl.1"])
def test_man_page_renders_clean(page):
    r = subprocess.run(["groff", "-man", "-ww", "-z", os.path.join(ROOT, "man", page)],
                       capture_output=True, timeout=30)
    assert r.returncode == 0 and r.stderr == b"", r.stderr.decode()


@pytest.mark.parametrize("page", ["tandem.1", "tandem.conf.5", "tandem-proxy.8", "tandem-appd.8",
                                  "tandem-protocol.7"])
def test_every_page_has_the_operators_sections(page):
    with open(os.path.join(ROOT, "man", page)) as f:
        sections = {line.split(None, 1)[1].strip().strip('"')
                    for line in f if line.startswith(".SH ")}
    missing = {"ENVIRONMENT", "FILES", "SIGNALS", "EXIT STATUS", "EXAMPLES"} - sections
    assert not missing, "%s lacks %s" % (page, sorted(missing))


def test_proxy_page_says_a_missing_socket_file_is_a_startup_error(tmp_path):
    # The page and the code agree: no socket file at start-up exits 1.
    r = subprocess.run([PROXY, "--bind", "127.0.0.1:0", "--upstream",
                        "unix:" + str(tmp_path / "none.sock")], capture_output=True, timeout=10)
    assert r.returncode == 1
    assert "(is tandem-appd running?)" in r.stderr.decode()
    with open(os.path.join(ROOT, "man", "tandem-proxy.8")) as f:
        page = " ".join(f.read().replace("\\-", "-").split())
    assert "Unix socket file that does not exist is an error (exit 1" in page
    assert "A missing or stopped appd is not a startup error" not in page
