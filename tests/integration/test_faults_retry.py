"""test_faults_retry.py: when a worker connection is lost, the proxy fails
only the streams the worker may have started and runs the others on a new
connection (issue 14, faults).  evil_worker.py's /stall stops reading its
connection and then closes it, as a worker that exits with requests unread
does (a graceful reload once lost two of 184k requests this way:
"connection to worker pid N lost (2 streams open): Broken pipe")."""
import socket
import threading
import time

from harness import wait_for


def _exchange(port, head, body=b"", timeout=20):
    """Sends head (and body, from a thread: the proxy may read it slowly);
    the answer's status and body, or (None, b"") when closed without one."""
    s = socket.create_connection(("127.0.0.1", port), timeout=timeout)
    try:
        s.sendall(head)
        if body:
            threading.Thread(target=lambda: _send_quietly(s, body), daemon=True).start()
        data = b""
        while True:
            try:
                piece = s.recv(65536)
            except OSError:
                break
            if not piece:
                break
            data += piece
            if b"\r\n\r\n" in data and data.endswith(b"ok\n"):
                break
    finally:
        s.close()
    if not data.startswith(b"HTTP/1.1 "):
        return None, b""
    return int(data.split(b" ", 2)[1]), data.partition(b"\r\n\r\n")[2]


def _send_quietly(s, body):
    try:
        s.sendall(body)
    except OSError:
        pass


def test_heads_the_worker_never_read_run_elsewhere(evil):
    big = 2 * 1024 * 1024
    out = {}

    def stalled_post():
        out["post"] = _exchange(evil.port, b"POST /stall HTTP/1.1\r\nHost: localhost\r\n"
                                           b"Content-Length: %d\r\n\r\n" % big, b"b" * big)

    t = threading.Thread(target=stalled_post)
    t.start()
    # The POST's body now fills the connection to the stalled worker; this
    # head queues behind it and never reaches the worker.
    time.sleep(0.5)
    status, body = _exchange(evil.port, b"GET /after HTTP/1.1\r\nHost: localhost\r\n"
                                        b"Connection: close\r\n\r\n")
    t.join(30)
    assert (status, body) == (200, b"ok\n"), evil.proxy.output()
    # The POST had started (its body went): it fails, it is not replayed.
    assert out["post"][0] in (502, None), out
    wait_for(lambda: "lost" in evil.proxy.output(), 5, "the lost connection logged")
