"""test_appd_shared_socket.py: a proxy connection whose socket another
process holds too (the master, between handing it to the worker and closing
its own copy; a child the app forked): once the worker closes its copy, its
loop must stop watching that socket, which lives on elsewhere and keeps
reporting the proxy's hang-up."""
import os

import pytest

import appd_client as ac
from harness import APPD, APPS, Daemon, children, wait_for


def _links(pid):
    out = {}
    for name in os.listdir("/proc/%d/fd" % pid):
        try:
            out[int(name)] = os.readlink("/proc/%d/fd/%s" % (pid, name))
        except OSError:
            pass   # closed while we looked
    return out


def sockets(pid):
    """The inode numbers of pid's sockets."""
    return {int(l[8:-1]) for l in _links(pid).values() if l.startswith("socket:[")}


def watched(pid):
    """The inode numbers of the files pid's epoll sets watch."""
    inodes = set()
    for fd, link in _links(pid).items():
        if link == "anon_inode:[eventpoll]":
            with open("/proc/%d/fdinfo/%d" % (pid, fd)) as f:
                for line in f:
                    if line.startswith("tfd:"):
                        inodes.add(int(line.split("ino:")[1].split()[0], 16))
    return inodes


@pytest.mark.parametrize("wclass", [["-k", "sync"], ["-k", "gthread", "--threads", "4"]],
                         ids=["sync", "gthread"])
def test_a_closed_connection_leaves_the_loop_while_a_child_holds_it(tmp_path, wclass):
    sock, release = str(tmp_path / "app.sock"), tmp_path / "release"
    d = Daemon([APPD, "--bind", "unix:" + sock, "-w", "1", "--pythonpath", APPS] + wclass
               + ["appd_app:app"])
    try:
        assert d.wait_ready(60), d.output()
        (worker,) = children(d.pid)
        before = sockets(worker)
        with ac.Conn(sock) as c:
            held = sockets(worker) - before   # HELLO came: the worker has it
            assert len(held) == 1, held
            r = c.request("GET", "/fork-hold", query="path=" + str(release))
            assert r.status == 200, r
        wait_for(lambda: not sockets(worker) & held, 10, "the worker to close its copy")
        # The worker still serves, and watches nothing it closed.
        with ac.Conn(sock, timeout=10) as c:
            assert c.hello["pid"] == worker
            assert c.request("GET", "/").body == b"hello"
        assert d.alive() and children(d.pid) == [worker], d.output()
        assert not watched(worker) & held, "epoll still watches the closed connection"
    finally:
        release.touch()   # the child exits
        d.stop()
