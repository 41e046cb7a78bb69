"""test_front.py: `tandem` runs both daemons from Gunicorn's command line,
forwards signals, and fails fast with the failing daemon's message."""
import signal
import socket
import subprocess
import time

from harness import APPS, FRONT, Daemon, can_connect, curl, free_port, wait_for


def test_tandem_serves_h2_and_stops_on_sigterm(certs):
    port = free_port()
    d = Daemon([FRONT, "-b", "127.0.0.1:%d" % port, "--certfile", certs[0], "--keyfile", certs[1],
                "-w", "2", "--pythonpath", APPS, "probe:app"])
    try:
        wait_for(lambda: can_connect(("127.0.0.1", port)) or not d.alive(), 30, "tandem port")
        assert d.alive(), d.output()
        r = curl("--http2", "https://127.0.0.1:%d/" % port, "-w", "%{http_version}")
        assert r.stdout == b"hello2"
        d.proc.send_signal(signal.SIGTERM)
        assert d.proc.wait(15) == 0, d.output()
        assert not can_connect(("127.0.0.1", port))
    finally:
        d.stop()


def test_tandem_app_import_error():
    t0 = time.monotonic()
    r = subprocess.run([FRONT, "-b", "127.0.0.1:%d" % free_port(), "--pythonpath", APPS,
                        "nosuchmod:app"], capture_output=True, timeout=10)
    assert r.returncode != 0 and time.monotonic() - t0 < 5
    err = r.stderr.decode()
    assert "No module named 'nosuchmod'" in err, err


def test_tandem_port_in_use(certs):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen(1)
        port = s.getsockname()[1]
        r = subprocess.run([FRONT, "-b", "127.0.0.1:%d" % port, "--pythonpath", APPS, "probe:app"],
                           capture_output=True, timeout=20)
    assert r.returncode != 0
    assert "in use" in r.stderr.decode(), r.stderr


def test_tandem_unknown_flag():
    r = subprocess.run([FRONT, "--frobnicate", "probe:app"], capture_output=True, timeout=5)
    assert r.returncode == 2
    assert "--frobnicate" in r.stderr.decode()


def test_tandem_passes_h2c_flags_to_the_proxy():
    port = free_port()
    d = Daemon([FRONT, "-b", "127.0.0.1:%d" % port, "--http2-cleartext", "prior-knowledge",
                "--forwarded-allow-ips", "127.0.0.1", "--pythonpath", APPS, "probe:app"])
    try:
        assert d.wait_ready(30), d.output()
        r = curl("--http2-prior-knowledge", "http://127.0.0.1:%d/" % port, "-w", "%{http_version}")
        assert r.stdout == b"hello2"
    finally:
        d.stop()
