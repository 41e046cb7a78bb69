"""test_appd_logging.py: tandem-appd's logging settings through the real
daemons: --capture-output (the workers' print() and stderr in the error
log file, line by line, and after a USR1 reopen), and nothing captured
without it."""
import contextlib
import os
import signal

from harness import APPS, Stack, curl, wait_for

PRINTING_APP = '''
import os, sys

def app(environ, start_response):
    word = environ["PATH_INFO"].strip("/")
    print("stdout says", word)
    sys.stderr.write("stderr says %s\\n" % word)
    os.write(2, b"fd 2 says " + word.encode() + b"\\n")
    start_response("200 OK", [("Content-Length", "2")])
    return [b"ok"]
'''


@contextlib.contextmanager
def printing_stack(tmp_path, *appd_args):
    (tmp_path / "printing_app.py").write_text(PRINTING_APP)
    s = Stack(app="printing_app:app", workers=1, appd_args=list(appd_args),
              pythonpath="%s,%s" % (tmp_path, APPS))
    try:
        yield s
    finally:
        s.close()


def text(path):
    return open(path).read() if os.path.exists(path) else ""


def test_capture_output_into_the_error_log(tmp_path):
    log = str(tmp_path / "error.log")
    with printing_stack(tmp_path, "--error-logfile", log, "--capture-output") as s:
        curl(s.url + "/first")
        wait_for(lambda: "stdout says first" in text(log), 10, "print() in the error log")
        assert "stderr says first" in text(log) and "fd 2 says first" in text(log)
        os.rename(log, log + ".1")
        os.kill(s.appd.pid, signal.SIGUSR1)
        wait_for(lambda: os.path.exists(log), 10, "the reopened error log")
        # The worker reopens on its own USR1 from the master: wait for it.
        wait_for(lambda: curl(s.url + "/second").stdout == b"ok" and
                 "stdout says second" in text(log), 10, "print() in the new file")
        assert "fd 2 says second" in text(log)
        assert "second" not in text(log + ".1")


def test_no_capture_without_the_flag(tmp_path):
    log = str(tmp_path / "error.log")
    with printing_stack(tmp_path, "--error-logfile", log) as s:
        curl(s.url + "/quiet")
        wait_for(lambda: "stdout says quiet" in s.appd.output(), 10, "print() on stdout")
        assert "says quiet" not in text(log)
        assert "Booting worker" in text(log)
