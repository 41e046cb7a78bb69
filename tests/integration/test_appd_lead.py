"""test_appd_lead.py: who reads the proxy sockets in a sync or gthread worker
(appd/ad_ioloop.h): an idle app thread leads and runs the request it read
itself, so a request costs the worker one thread wake-up, not two; the main
thread takes the lead back while a request runs long or waits for its
client, so pings, resets and bodies are still read while the app runs."""
import glob
import os
import shutil
import signal
import struct
import subprocess

import pytest

import appd_client as ac
from harness import wait_for
from test_appd_wire import Appd

CLASSES = [["-k", "sync"], ["-k", "gthread", "--threads", "4"]]


def voluntary_switches(pid):
    """Context switches every thread of pid made by blocking, so far."""
    total = 0
    for path in glob.glob("/proc/%d/task/*/status" % pid):
        try:
            with open(path) as f:
                for line in f:
                    if line.startswith("voluntary_ctxt_switches:"):
                        total += int(line.split()[1])
        except OSError:
            pass  # a thread that just ended
    return total


@pytest.mark.parametrize("wclass", CLASSES, ids=["sync", "gthread"])
def test_one_wakeup_per_request(wclass):
    # One request at a time: each costs the worker exactly one sleep (the
    # leading app thread's poll); with a hand-over from an I/O thread to an
    # app thread it costs two (2.0 per request before the lead existed).
    a = Appd(*wclass, workers=1)
    try:
        with ac.Conn(a.sock, timeout=20) as c:
            for _ in range(50):
                assert c.request("GET", "/").status == 200
            n = 400
            before = voluntary_switches(c.pid)
            for _ in range(n):
                r = c.request("GET", "/")
                assert (r.status, r.body) == (200, b"hello")
            per_request = (voluntary_switches(c.pid) - before) / n
            print("voluntary context switches per request: %.3f" % per_request)
            assert per_request < 1.5, per_request
    finally:
        a.close()


@pytest.mark.parametrize("wclass", CLASSES, ids=["sync", "gthread"])
def test_one_wakeup_per_post_whose_body_came_whole(wclass):
    # tandem-proxy collects a body of up to --request-buffer-size (64 KiB)
    # and sends it with its head in one write.  A leader that starts such a
    # stream has nothing left to read for it, and keeps the lead: one wake-up
    # per request.  It handed the lead to the main thread for any body over
    # 16 KiB, already there or not: 5 to 6 per 64 KiB POST, the main thread
    # reading and waking the app thread back.
    a = Appd(*wclass, workers=1)
    body = bytes(range(256)) * 256
    try:
        with ac.Conn(a.sock, timeout=20) as c:
            def post():
                r = ac.Response(c.next_id)
                r.keep, r.unacked = True, 0
                c.streams[r.stream] = r
                c.next_id += 2
                c.send(ac.frame(ac.REQUEST_HEAD, 0, r.stream,
                                ac.request_head(b"POST", b"/echo", content_length=len(body))) +
                       ac.frame(ac.REQUEST_DATA, ac.END_STREAM, r.stream, body))
                c.run(r)
                assert (r.status, r.body) == (200, body)
            for _ in range(20):
                post()
            n = 200
            before = voluntary_switches(c.pid)
            for _ in range(n):
                post()
            per_request = (voluntary_switches(c.pid) - before) / n
            print("voluntary context switches per 64 KiB POST: %.3f" % per_request)
            assert per_request < 1.5, per_request
    finally:
        a.close()


@pytest.mark.parametrize("wclass", CLASSES, ids=["sync", "gthread"])
def test_sockets_read_while_the_leader_runs_a_long_request(wclass):
    # Every app thread may be the leader that read this request: while it
    # sleeps in the app, the main thread reads the socket again (the ping is
    # answered, a second request is served on gthread), and the proxy's
    # RESET of the sleeping stream is answered once the app returns.
    a = Appd(*wclass, workers=1)
    try:
        with ac.Conn(a.sock, timeout=30) as c:
            assert c.request("GET", "/").status == 200
            slow = c.open_stream("GET", "/sleep", query="s=4")
            c.send(ac.frame(ac.PING, 0, 0, b"leadping"))
            while not c.pings:
                c.pump(20)
            assert c.pings == [b"leadping"] and not slow.done
            if wclass[1] == "gthread":
                r = c.request("GET", "/")
                assert (r.status, r.body) == (200, b"hello") and not slow.done
            c.send(ac.frame(ac.RESET, 0, slow.stream, struct.pack("!I", 8)))
            while slow.reset is None and not slow.done:
                c.pump(20)
            assert slow.reset == 8, slow  # RESET CANCEL, owed until the app returned
            r = c.request("GET", "/")
            assert (r.status, r.body) == (200, b"hello")
    finally:
        a.close()


@pytest.mark.parametrize("wclass", CLASSES, ids=["sync", "gthread"])
def test_leader_waiting_for_its_client_is_not_stuck(wclass):
    # A leader must never sleep holding the lead, or nobody would read what
    # it waits for: a body that comes after the head (it hands the lead to
    # the main thread), and credit for a response larger than our window
    # (it reads the socket itself meanwhile).
    a = Appd(*wclass, workers=1)
    try:
        with ac.Conn(a.sock, window=64 * 1024, timeout=30) as c:
            for size in (1, 300 * 1024, 3 * 1024 * 1024):
                body = bytes(range(256)) * (size // 256) + b"x" * (size % 256)
                r = c.open_stream("POST", "/echo", body=body)
                r.keep, r.unacked = True, 0
                c.run(r, body)
                assert (r.status, r.body) == (200, body)
            for _ in range(3):
                r = c.request("GET", "/stream", query="n=%d" % (1024 * 1024 + 7))
                assert (r.status, r.length, r.reset) == (200, 1024 * 1024 + 7, None)
    finally:
        a.close()


def _read(path):
    with open(path, "rb") as f:
        return f.read()


def _send_batch(c, targets):
    """GETs of targets ((path, query) pairs) in one write, as a busy proxy
    connection sends them; returns their Responses."""
    rs, data = [], b""
    for path, query in targets:
        sid = c.next_id
        c.next_id += 2
        r = ac.Response(sid)
        r.keep, r.unacked = True, 0
        c.streams[sid] = r
        rs.append(r)
        data += ac.frame(ac.REQUEST_HEAD, ac.END_STREAM, sid,
                         ac.request_head(b"GET", ac._s(path), ac._s(query)))
    c.send(data)
    return rs


def test_leader_runs_its_batch_without_waking_threads():
    # Four requests read in one turn: the leading app thread runs them one
    # after the other and wakes none of the three idle threads (each such
    # wake-up cost a context switch and 2-3 futex calls, for nothing under
    # the GIL: 1.2 voluntary switches per request before, 0.26 now).
    a = Appd("-k", "gthread", "--threads", "4", workers=1)
    try:
        with ac.Conn(a.sock, timeout=20) as c:
            for _ in range(20):
                for r in _send_batch(c, [("/", "")] * 4):
                    while not r.done:
                        c.pump()
            batches = 100
            before = voluntary_switches(c.pid)
            for _ in range(batches):
                rs = _send_batch(c, [("/", "")] * 4)
                while not all(r.done for r in rs):
                    c.pump()
                assert all((r.status, r.body) == (200, b"hello") for r in rs)
            per_request = (voluntary_switches(c.pid) - before) / (4 * batches)
            print("voluntary context switches per request: %.3f" % per_request)
            assert per_request < 0.6, per_request
    finally:
        a.close()


def test_request_read_behind_a_long_one_gets_another_thread():
    # The leader read a long request and a short one together and runs the
    # long one: once it is taken over, the short one goes to an idle thread
    # and is answered while the long one still sleeps.
    a = Appd("-k", "gthread", "--threads", "4", workers=1)
    try:
        with ac.Conn(a.sock, timeout=30) as c:
            assert c.request("GET", "/").status == 200
            slow, fast = _send_batch(c, [("/sleep", "s=4"), ("/", "")])
            while not fast.done:
                c.pump()
            assert (fast.status, fast.body) == (200, b"hello") and not slow.done
            while not slow.done:
                c.pump()
            assert (slow.status, slow.body) == (200, b"slept")
    finally:
        a.close()


def test_requests_read_with_a_slow_one_run_in_parallel():
    # Four requests that wait (as on a database) read together: the leader
    # runs the first and the main thread's tick hands the other three to
    # idle threads, so all four wait at once, each on its own thread.
    a = Appd("-k", "gthread", "--threads", "4", workers=1)
    try:
        with ac.Conn(a.sock, timeout=30) as c:
            assert c.request("GET", "/").status == 200
            rs = _send_batch(c, [("/thread", "s=0.5")] * 4)
            while not all(r.done for r in rs):
                c.pump()
            assert all(r.status == 200 for r in rs)
            assert len({r.body for r in rs}) == 4, [r.body for r in rs]
    finally:
        a.close()


def _count_syscalls(pid, names, tmp, work):
    """Calls of the named syscalls all threads of pid make while work()
    runs, counted by strace -c: {name: calls}."""
    out, log = os.path.join(tmp, "strace.out"), os.path.join(tmp, "strace.log")
    with open(log, "wb") as err:
        tracer = subprocess.Popen(["strace", "-f", "-c", "-e", "trace=" + ",".join(names),
                                   "-o", out, "-p", str(pid)], stderr=err)
    try:
        # Counting starts once strace has attached (to every thread at once).
        wait_for(lambda: b"attached" in _read(log), 10, "strace to attach")
        work()
    finally:
        tracer.send_signal(signal.SIGINT)
        tracer.wait(10)
    counts = dict.fromkeys(names, 0)
    for line in _read(out).decode().splitlines():
        f = line.split()
        if f and f[-1] in counts:
            counts[f[-1]] = int(f[3])
    print(_read(out).decode())
    return counts


needs_strace = pytest.mark.skipif(shutil.which("strace") is None, reason="needs strace")


@needs_strace
@pytest.mark.parametrize("wclass", CLASSES, ids=["sync", "gthread"])
def test_no_timer_syscall_per_request(wclass):
    # The main thread watches a leader with a periodic tick armed once, not
    # a deadline set as each request starts (0.2 to 0.9 timerfd_settime per
    # request before, the more the further apart requests come).
    a = Appd(*wclass, workers=1)
    try:
        with ac.Conn(a.sock, timeout=30) as c:
            assert c.request("GET", "/").status == 200
            n = 300

            def work():
                for _ in range(n):
                    assert c.request("GET", "/").status == 200

            calls = _count_syscalls(c.pid, ["timerfd_settime"], a.tmp, work)
            per_request = calls["timerfd_settime"] / n
            print("timerfd_settime per request: %.3f" % per_request)
            assert per_request < 0.1, calls
    finally:
        a.close()


@needs_strace
def test_responses_to_a_batch_leave_in_one_write():
    # The leader holds each small response back while it has the next
    # request of its batch to run: four requests read together are answered
    # with one writev (about one per request before).
    a = Appd("-k", "gthread", "--threads", "4", workers=1)
    try:
        with ac.Conn(a.sock, timeout=30) as c:
            assert c.request("GET", "/").status == 200
            batches = 100

            def work():
                for _ in range(batches):
                    rs = _send_batch(c, [("/", "")] * 4)
                    while not all(r.done for r in rs):
                        c.pump()
                    assert all((r.status, r.body) == (200, b"hello") for r in rs)

            calls = _count_syscalls(c.pid, ["write", "writev"], a.tmp, work)
            per_request = (calls["write"] + calls["writev"]) / (4 * batches)
            print("writes per request: %.3f" % per_request)
            assert per_request < 0.5, calls
    finally:
        a.close()
