"""test_appd_lifecycle.py: tandem-appd's master while its workers come and
go: reloads during a slow boot are not boot failures, and signals sent to
just-forked workers end those workers, not the master."""
import signal

import appd_client as ac
from harness import AppdFromSource, wait_for

SLOW_IMPORT = '''
import os, time
# Stays in import until the test lets it go, so the test controls "booting".
while not os.path.exists(os.environ["TANDEM_TEST_GO"]):
    time.sleep(0.01)

def app(environ, start_response):
    start_response("200 OK", [("Content-Length", "2")])
    return [b"ok"]
'''


def test_reload_while_workers_boot_is_not_a_boot_failure(tmp_path):
    """Workers the master itself retires (HUP, TTOU) before they are ready did
    not fail to boot: counting them made two reloads during a slow import
    halt the whole server with "workers keep dying while booting"."""
    m = AppdFromSource(tmp_path, SLOW_IMPORT, 3)
    try:
        wait_for(lambda: len(m.workers()) == 3 or m.proc.poll() is not None, 10,
                 "three booting workers")
        seen = m.workers()
        for round_ in range(2):
            m.proc.send_signal(signal.SIGHUP)
            # A fresh set replaces the retired one; the old ones die by TERM.
            wait_for(lambda: (len(m.workers() - seen) == 3 and not (m.workers() & seen))
                     or m.proc.poll() is not None, 10, "three fresh workers after HUP")
            assert m.proc.poll() is None, m.output()
            seen = m.workers()
        open(m.go, "w").close()
        m.all_ready(3)
        assert m.proc.poll() is None, m.output()
        assert ac.get(m.sock, "/").body == b"ok"
        assert "keep dying" not in m.output()
    finally:
        m.close()


def test_signals_to_just_forked_workers_stay_theirs(tmp_path):
    """A TERM the master sends a worker it has just forked must end that
    worker.  Before the fix the child still ran the master's handler, which
    swallowed the TERM and wrote it into the master's self-pipe: back-to-back
    reloads made the master shut itself down ("Handling signal: term")."""
    (tmp_path / "go").write_text("")
    m = AppdFromSource(tmp_path, SLOW_IMPORT, 4)
    try:
        m.all_ready(4)
        # HUP only: pending TTIN/TTOU coalesce, so their net count is chance.
        for _ in range(60):
            m.proc.send_signal(signal.SIGHUP)
        # The last reload's four workers boot; every older one is gone.
        wait_for(lambda: m.proc.poll() is not None or len(m.workers()) == 4, 30,
                 "four workers after the reloads")
        assert m.proc.poll() is None, m.output()
        m.all_ready(4)
        assert ac.get(m.sock, "/").body == b"ok"
        out = m.output()
        assert "Handling signal: term" not in out, out
        assert "Shutting down" not in out, out
    finally:
        m.close()
