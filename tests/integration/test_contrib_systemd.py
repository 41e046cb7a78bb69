"""test_contrib_systemd.py: the units of contrib/systemd pass
`systemd-analyze verify` without a single warning (binary paths pointed at
the build, man pages at the source tree), keep a low offline security
exposure, agree with each other (socket path, ports, user), and their
ExecStart= lines, run as systemd would run them (sockets at fd 3, the
/etc/default file's variables, credentials), serve through each other."""
import os
import re
import shlex
import shutil
import subprocess

import pytest

from contrib_install import CONTRIB, Installed
from harness import APPD, APPS, PROXY, PYTHON, ROOT, Daemon, curl, free_port, wait_for

UNITS = ["tandem-appd.socket", "tandem-appd.service", "tandem-proxy.socket",
         "tandem-proxy.service"]
SYSTEMD = os.path.join(CONTRIB, "systemd")
LAUNCH = os.path.join(os.path.dirname(os.path.abspath(__file__)), "sd_launch.py")

needs_systemd = pytest.mark.skipif(not shutil.which("systemd-analyze"),
                                   reason="systemd-analyze (Debian's systemd) not installed")


def unit_text(name):
    with open(os.path.join(SYSTEMD, name)) as f:
        return f.read()


def parse_unit(name):
    """{(section, key): [values]}, repeated keys kept in order."""
    out, section = {}, None
    for line in unit_text(name).splitlines():
        line = line.strip()
        if not line or line[0] in "#;":
            continue
        if line.startswith("["):
            section = line.strip("[]")
            continue
        key, value = line.split("=", 1)
        out.setdefault((section, key), []).append(value)
    return out


def one(unit, section, key):
    values = parse_unit(unit).get((section, key), [])
    assert len(values) == 1, "%s: [%s] %s: %r" % (unit, section, key, values)
    return values[0]


@pytest.fixture(scope="module")
def unit_dir(tmp_path_factory):
    """The units with the build's binaries, and a MANPATH holding our pages
    so that Documentation=man:... resolves."""
    d = tmp_path_factory.mktemp("units")
    for name in UNITS:
        text = unit_text(name).replace("/usr/sbin/tandem-appd", APPD)
        (d / name).write_text(text.replace("/usr/sbin/tandem-proxy", PROXY))
    man8 = d / "man" / "man8"
    man8.mkdir(parents=True)
    for page in ("tandem-appd.8", "tandem-proxy.8"):
        (man8 / page).symlink_to(os.path.join(ROOT, "man", page))
    return d


def analyze(unit_dir, *args):
    env = dict(os.environ, MANPATH=str(unit_dir / "man"))
    return subprocess.run(["systemd-analyze"] + list(args), capture_output=True, timeout=60,
                          cwd=str(unit_dir), env=env)


@needs_systemd
@pytest.mark.parametrize("unit", UNITS)
def test_unit_verifies_without_warnings(unit_dir, unit):
    r = analyze(unit_dir, "verify", "./" + unit)
    out = (r.stdout + r.stderr).decode()
    assert r.returncode == 0 and out == "", out


@needs_systemd
@pytest.mark.parametrize("unit", ["tandem-appd.service", "tandem-proxy.service"])
def test_service_sandbox_exposure_is_low(unit_dir, unit):
    # systemd's own score, 0 (locked down) to 10; "OK" is below 4.5.
    r = analyze(unit_dir, "security", "--offline=true", "--threshold=25", "./" + unit)
    out = r.stdout.decode()
    assert r.returncode == 0, out
    level = float(re.search(r"Overall exposure level for \S+: ([0-9.]+)", out).group(1))
    assert level <= 2.5, out


def test_units_agree():
    sock = one("tandem-appd.socket", "Socket", "ListenStream")
    appd = shlex.split(one("tandem-appd.service", "Service", "ExecStart"))
    proxy = shlex.split(one("tandem-proxy.service", "Service", "ExecStart"))
    assert appd[appd.index("--bind") + 1] == "unix:" + sock
    assert proxy[proxy.index("--upstream") + 1] == "unix:" + sock
    # Every socket of the proxy's socket unit is one of its --bind addresses.
    binds = [proxy[i + 1] for i, a in enumerate(proxy) if a == "--bind"]
    for listen in parse_unit("tandem-proxy.socket")[("Socket", "ListenStream")]:
        assert listen.isdigit() and "0.0.0.0:" + listen in binds, (listen, binds)
    # The appd socket is the proxy's to use.
    user = one("tandem-proxy.service", "Service", "User")
    assert one("tandem-appd.socket", "Socket", "SocketUser") == user
    assert one("tandem-appd.socket", "Socket", "SocketMode") == "0660"
    assert one("tandem-appd.service", "Service", "User") == user
    for service in ("tandem-appd", "tandem-proxy"):
        unit = service + ".service"
        assert one(unit, "Service", "Type") == "notify"
        assert service + ".socket" in one(unit, "Unit", "After")
        for key, value in (("NoNewPrivileges", "yes"), ("ProtectSystem", "strict"),
                           ("PrivateTmp", "yes")):
            assert one(unit, "Service", key) == value, (unit, key)
    # HUP reloads both daemons.
    assert one("tandem-appd.service", "Service", "ExecReload") == "/bin/kill -HUP $MAINPID"
    assert one("tandem-proxy.service", "Service", "ExecReload") == "/bin/kill -HUP $MAINPID"


@pytest.mark.skipif(not shutil.which("systemd-sysusers"), reason="systemd-sysusers missing")
def test_sysusers_creates_the_units_user(tmp_path):
    (tmp_path / "etc").mkdir()
    r = subprocess.run(["systemd-sysusers", "--root", str(tmp_path),
                        os.path.join(SYSTEMD, "tandem.sysusers")], capture_output=True, timeout=30)
    assert r.returncode == 0, r.stderr.decode()
    user = one("tandem-appd.service", "Service", "User")
    passwd = (tmp_path / "etc" / "passwd").read_text()
    assert re.search(r"^%s:x:\d+:\d+:" % user, passwd, re.M), passwd
    assert re.search(r"^%s:x:\d+:" % one("tandem-appd.service", "Service", "Group"),
                     (tmp_path / "etc" / "group").read_text(), re.M)


def exec_start(unit, env, specifiers):
    """ExecStart= as systemd expands it: ${VAR} one word, $VAR split on
    white space, %d and the like from specifiers."""
    argv = []
    for word in shlex.split(one(unit, "Service", "ExecStart")):
        for spec, value in specifiers.items():
            word = word.replace(spec, value)
        m = re.fullmatch(r"\$([A-Za-z_][A-Za-z0-9_]*)", word)
        if m:
            argv += env.get(m.group(1), "").split()
            continue
        argv.append(re.sub(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}", lambda v: env.get(v.group(1), ""),
                           word))
    return argv


def environment_file(path):
    """EnvironmentFile= semantics for the simple lines our defaults use."""
    env = {}
    for line in open(path):
        line = line.strip()
        if line and not line.startswith("#"):
            k, v = line.split("=", 1)
            env[k] = v[1:-1] if v[:1] == v[-1:] == '"' else v
    return env


def test_units_command_lines_serve_under_socket_activation(certs):
    """The ExecStart lines of both services, with sockets made as the socket
    units say (the appd path and port 443 moved to a private path and a free
    port), the variables of the shipped /etc/default files and the
    certificate handed as credentials."""
    inst = Installed()
    procs = []
    try:
        sock = inst.path("app.sock")
        port = free_port()
        creds = inst.path("credentials")
        inst.copy_readable(certs[0], "credentials/cert.pem")
        inst.copy_readable(certs[1], "credentials/key.pem")
        appd_env = environment_file(os.path.join(CONTRIB, "default", "tandem-appd"))
        appd_env.update(APP="probe:app", APP_DIR=APPS, DAEMON_OPTS="--workers 2")
        proxy_env = environment_file(os.path.join(CONTRIB, "default", "tandem-proxy"))
        specs = {"%d": creds}

        def moved(argv):
            argv = [a.replace("/run/tandem/app.sock", sock).replace("0.0.0.0:443",
                                                                      "0.0.0.0:%d" % port)
                    for a in argv]
            argv[0] = {"/usr/sbin/tandem-appd": APPD, "/usr/sbin/tandem-proxy": PROXY}[argv[0]]
            return argv

        appd = Daemon([PYTHON, LAUNCH, "--listen", sock, "--"] +
                      moved(exec_start("tandem-appd.service", appd_env, specs)))
        procs.append(appd)
        assert appd.wait_ready(60), appd.output()
        listen = one("tandem-proxy.socket", "Socket", "ListenStream")
        assert listen == "443"
        proxy = Daemon([PYTHON, LAUNCH, "--listen", str(port), "--"] +
                       moved(exec_start("tandem-proxy.service", proxy_env, specs)))
        procs.append(proxy)
        assert proxy.wait_ready(30), proxy.output()
        # systemd's [::]:PORT socket serves the unit's --bind 0.0.0.0:443.
        assert "Using socket fd 3 from the service manager for 0.0.0.0:%d" % port in \
            proxy.output()
        wait_for(lambda: curl("--http2", "https://127.0.0.1:%d/" % port, check=False).stdout
                 == b"hello", 30, "hello through the units' command lines")
        r = curl("--http2", "-w", "%{http_version}", "-o", "/dev/null",
                 "https://127.0.0.1:%d/" % port)
        assert r.stdout == b"2"
    finally:
        for d in reversed(procs):
            d.stop()
        inst.remove()
