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
