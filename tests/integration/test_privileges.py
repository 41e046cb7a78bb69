"""test_privileges.py: Gunicorn's user, group, umask, initgroups and
worker_tmp_dir.  Run as root, tandem binds a port below 1024 and loads its
certificate, then the proxy and appd's workers become the user (read from
/proc/PID/status) while appd's master stays root; appd's socket is 0660
less the umask, given to the user and group; a user that does not exist
stops each program with a message naming it."""
import grp
import os
import pathlib
import pwd
import shutil
import socket
import stat
import subprocess
import tempfile

import pytest

from harness import APPD, APPS, FRONT, PROXY, Daemon, can_connect, children, curl, wait_for

root_only = pytest.mark.skipif(os.geteuid() != 0,
                               reason="dropping privileges needs root (CI runs as root)")
NOBODY = pwd.getpwnam("nobody").pw_uid
NOGROUP = grp.getgrnam("nogroup").gr_gid


def _ids(pid):
    """(uids, gids, groups) of pid: the real, effective, saved and fs ids."""
    out = {}
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            key, _, value = line.partition(":")
            if key in ("Uid", "Gid", "Groups"):
                out[key] = [int(v) for v in value.split()]
    return out["Uid"], out["Gid"], out["Groups"]


def _exe(pid):
    try:
        return os.path.basename(os.readlink("/proc/%d/exe" % pid))
    except OSError:
        return ""


def _privileged_port():
    """A free loopback port below 1024."""
    for port in range(700, 1000):
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", port))
                return port
            except OSError:
                continue
    pytest.skip("no free port below 1024")


def _argv_value(pid, flag):
    with open("/proc/%d/cmdline" % pid, "rb") as f:
        args = f.read().split(b"\0")
    return args[args.index(flag.encode()) + 1].decode()


@root_only
def test_tandem_serves_a_privileged_port_as_nobody(certs):
    port = _privileged_port()
    d = Daemon([FRONT, "--user", "nobody", "--group", "nogroup", "-b", "127.0.0.1:%d" % port,
                "--certfile", certs[0], "--keyfile", certs[1], "-w", "2", "--pythonpath", APPS,
                "probe:app"])
    try:
        assert d.wait_ready(60), d.output()
        r = curl("--http2", "https://127.0.0.1:%d/" % port, "-w", "%{http_version}")
        assert r.stdout == b"hello2"
        daemons = {_exe(p): p for p in children(d.pid)}
        proxy, master = daemons["tandem-proxy"], daemons["tandem-appd"]
        workers = children(master)
        assert len(workers) == 2
        for pid in [proxy] + workers:
            uids, gids, groups = _ids(pid)
            # All four ids: none of them could bring root back.
            assert uids == [NOBODY] * 4 and gids == [NOGROUP] * 4 and groups == [], (pid, uids)
        assert _ids(master)[0][1] == 0   # Gunicorn's arbiter stays root too
        # The worker answering runs as nobody (the app sees it).
        wpid = int(curl("--http2", "https://127.0.0.1:%d/pid" % port).stdout)
        assert _ids(wpid)[0] == [NOBODY] * 4
        sock = _argv_value(proxy, "--upstream")[len("unix:"):]
        st = os.stat(sock)
        assert stat.S_IMODE(st.st_mode) == 0o660
        assert (st.st_uid, st.st_gid) == (NOBODY, NOGROUP)
    finally:
        d.stop()


@root_only
def test_appd_socket_owner_and_mode_follow_user_group_and_umask(tmp_path):
    sock = str(tmp_path / "app.sock")
    d = Daemon([APPD, "--bind", "unix:" + sock, "-u", str(NOBODY), "-g", "nogroup",
                "--umask", "0o027", "--pythonpath", APPS, "probe:app"])
    try:
        assert d.wait_ready(60), d.output()
        st = os.stat(sock)
        assert stat.S_IMODE(st.st_mode) == 0o640        # 0660 less the umask
        assert (st.st_uid, st.st_gid) == (NOBODY, NOGROUP)
        (worker,) = children(d.pid)
        assert _ids(worker)[:2] == ([NOBODY] * 4, [NOGROUP] * 4)
    finally:
        d.stop()


def test_proxy_unix_listener_is_bound_under_the_umask(tmp_path):
    path = str(tmp_path / "public.sock")
    # The proxy wants its upstream socket file to exist; nothing need listen.
    with socket.socket(socket.AF_UNIX) as up:
        up.bind(str(tmp_path / "none.sock"))
        d = Daemon([PROXY, "--bind", "unix:" + path, "--umask", "022", "--upstream",
                    "unix:" + str(tmp_path / "none.sock")])
        try:
            assert d.wait_ready(30), d.output()
            assert stat.S_IMODE(os.stat(path).st_mode) == 0o755
        finally:
            d.stop()


@root_only
def test_initgroups_keeps_the_users_groups(tmp_path):
    # root is in group 0; without --initgroups a worker has no supplementary group.
    for extra, want in (([], []), (["--initgroups"], sorted(os.getgrouplist("root", 0)))):
        sock = str(tmp_path / "app.sock")
        d = Daemon([APPD, "--bind", "unix:" + sock, "--user", "root"] + extra
                   + ["--pythonpath", APPS, "probe:app"])
        try:
            assert d.wait_ready(60), d.output()
            (worker,) = children(d.pid)
            assert sorted(_ids(worker)[2]) == want, extra
        finally:
            d.stop()


@pytest.mark.parametrize("prog", ["appd", "proxy", "tandem"])
def test_a_user_that_does_not_exist_is_named(prog, tmp_path):
    argv = {"appd": [APPD, "--bind", "unix:" + str(tmp_path / "s"), "--pythonpath", APPS,
                     "probe:app"],
            "proxy": [PROXY, "--bind", "127.0.0.1:0"],
            "tandem": [FRONT, "-b", "127.0.0.1:0", "--pythonpath", APPS, "probe:app"]}[prog]
    r = subprocess.run(argv + ["--user", "no-such-user-x"], capture_output=True, timeout=30)
    assert r.returncode != 0
    assert "no such user 'no-such-user-x'" in r.stderr.decode(), r.stderr
    r = subprocess.run(argv + ["--group", "no-such-group-x"], capture_output=True, timeout=30)
    assert r.returncode != 0
    assert "no such group 'no-such-group-x'" in r.stderr.decode(), r.stderr


def test_bad_umask_is_refused():
    r = subprocess.run([PROXY, "--umask", "0o1777"], capture_output=True, timeout=10)
    assert r.returncode == 2
    assert "umask (--umask): '0o1777' is not a mode mask" in r.stderr.decode(), r.stderr


def test_worker_tmp_dir_must_exist(tmp_path):
    missing = str(tmp_path / "nope")
    r = subprocess.run([APPD, "--bind", "unix:" + str(tmp_path / "s"), "--worker-tmp-dir",
                        missing, "--pythonpath", APPS, "probe:app"], capture_output=True,
                       timeout=30)
    assert r.returncode == 2
    assert r.stderr.decode().strip().splitlines()[-1] == (
        "error: worker_tmp_dir (--worker-tmp-dir): %s: No such file or directory" % missing)


@root_only
def test_worker_tmp_dir_must_be_writable_by_the_user(tmp_path):
    base = tempfile.mkdtemp(prefix="tandem-wtmp-")   # pytest's tmp_path is root's only
    os.chmod(base, 0o711)
    try:
        _worker_tmp_dirs(pathlib.Path(base), str(tmp_path / "s"))
    finally:
        shutil.rmtree(base)


def _worker_tmp_dirs(tmp_path, sock):
    closed = tmp_path / "closed"
    closed.mkdir(mode=0o755)          # root's: nobody cannot create its file there
    r = subprocess.run([APPD, "--bind", "unix:" + sock, "--user", "nobody", "--worker-tmp-dir",
                        str(closed), "--pythonpath", APPS, "probe:app"], capture_output=True,
                       timeout=60)
    assert r.returncode != 0
    assert ("cannot create a file in %s as uid %d" % (closed, NOBODY)) in r.stderr.decode()
    open_dir = tmp_path / "open"
    open_dir.mkdir()
    open_dir.chmod(0o1777)
    d = Daemon([APPD, "--bind", "unix:" + sock, "--user", "nobody", "--worker-tmp-dir",
                str(open_dir), "--pythonpath", APPS, "probe:app"])
    try:
        assert d.wait_ready(60), d.output()
        (worker,) = children(d.pid)
        # The heartbeat file: open in the worker, already unlinked.
        fds = os.listdir("/proc/%d/fd" % worker)
        targets = [os.readlink("/proc/%d/fd/%s" % (worker, fd)) for fd in fds]
        assert any(t.startswith(str(open_dir) + "/wtandem-") and t.endswith("(deleted)")
                   for t in targets), targets
        assert os.listdir(open_dir) == []
    finally:
        d.stop()
