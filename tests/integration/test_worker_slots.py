"""test_worker_slots.py: a worker's capacity slot is held until the worker's
final frame, not released when the proxy resets the stream.  A sync worker
running an app that ignores the reset (it sleeps) after the proxy answered
504 is still busy: the next requests must go to the idle worker, and the
slot comes back once the sleeper's final frame arrives."""
import os
import socket
import threading

import pytest

from harness import Stack, wait_for


def get(port, path, timeout=20):
    """(status, body) of GET path on a fresh connection."""
    s = socket.create_connection(("127.0.0.1", port), timeout=timeout)
    try:
        s.sendall(b"GET %s HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n" % path.encode())
        out = b""
        while True:
            data = s.recv(65536)
            if not data:
                break
            out += data
    finally:
        s.close()
    head, _, body = out.partition(b"\r\n\r\n")
    return int(head[9:12]), body


@pytest.fixture
def stack(tmp_path):
    s = Stack(workers=2, proxy_args=["--timeout", "1"])
    yield s
    s.close()


def test_reset_worker_keeps_its_slot_until_its_final_frame(stack, tmp_path):
    mark = tmp_path / "busy"
    result = {}

    def sleeper():
        result["sleep"] = get(stack.port, "/sleep?s=6&mark=%s" % mark)

    t = threading.Thread(target=sleeper)
    t.start()
    t.join(30)
    # No byte in --timeout (1 s): the proxy answered 504 and reset the
    # stream, but the sync worker still sleeps in the app.
    assert result["sleep"][0] == 504, result
    busy = int(mark.read_text())
    assert busy in stack.worker_pids()
    # Every request now goes to the idle worker, none waits behind the sleeper.
    for _ in range(6):
        status, body = get(stack.port, "/pid")
        assert status == 200, (status, body)
        assert int(body) != busy
    # Once the sleeper's final frame arrives its slot is back in use.
    seen = set()

    def both_serve():
        seen.add(int(get(stack.port, "/pid")[1]))
        return busy in seen
    wait_for(both_serve, 30, "the sleeping worker serving again")
