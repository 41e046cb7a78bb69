"""test_contrib_docker.py: contrib/docker without a container engine (none
runs in CI): compose.yaml is valid (docker-compose config, when installed)
and runs the proxy as appd's sidecar on one shared socket; the Dockerfile's
packages exist in Debian 12, its build stage has what configure needs and
its runtime stage the libraries the built daemons link."""
import os
import re
import shlex
import shutil
import subprocess

import pytest
import yaml

from contrib_install import CONTRIB
from harness import APPD, PROXY, ROOT

DOCKER = os.path.join(CONTRIB, "docker")


def compose():
    with open(os.path.join(DOCKER, "compose.yaml")) as f:
        return yaml.safe_load(f)


def flag(argv, name):
    assert argv.count(name) == 1, (name, argv)
    return argv[argv.index(name) + 1]


def mounts(service):
    """{target: volume name} of a service's short-syntax volumes."""
    out = {}
    for v in service.get("volumes", []):
        source, target = v.split(":")[:2]
        out[target] = source
    return out


def test_compose_runs_the_proxy_as_a_sidecar_on_one_socket():
    c = compose()
    app, proxy = c["services"]["app"], c["services"]["proxy"]
    bind = flag(app["command"], "--bind")
    assert app["command"][0] == "tandem-appd" and proxy["command"][0] == "tandem-proxy"
    assert flag(proxy["command"], "--upstream") == bind
    assert bind.startswith("unix:/")
    sock_dir = os.path.dirname(bind[len("unix:"):])
    # Both mount the same named volume where the socket lives.
    volume = mounts(app)[sock_dir]
    assert mounts(proxy)[sock_dir] == volume
    assert volume in c["volumes"]
    # Same image, so the same user owns and uses the socket.
    assert proxy["image"] == app["image"]
    # The proxy waits for a healthy appd (it refuses a missing socket file).
    assert proxy["depends_on"]["app"]["condition"] == "service_healthy"
    assert sock_dir + "/" in " ".join(app["healthcheck"]["test"])


def test_compose_certificate_comes_from_secrets():
    c = compose()
    proxy = c["services"]["proxy"]
    for opt, secret in (("--certfile", "tandem-cert"), ("--keyfile", "tandem-key")):
        assert flag(proxy["command"], opt) == "/run/secrets/" + secret
        assert secret in proxy["secrets"] and secret in c["secrets"]
    port = flag(proxy["command"], "--bind").rsplit(":", 1)[1]
    assert any(p.split(":")[-1] == port for p in proxy["ports"]), proxy["ports"]
    assert port in " ".join(proxy["healthcheck"]["test"])


def test_compose_builds_from_the_checkout():
    build = compose()["services"]["app"]["build"]
    context = os.path.normpath(os.path.join(DOCKER, build["context"]))
    assert context == ROOT
    assert os.path.isfile(os.path.join(context, build["dockerfile"]))


@pytest.mark.skipif(not shutil.which("docker-compose"), reason="docker-compose not installed")
def test_compose_file_is_valid():
    r = subprocess.run(["docker-compose", "-f", "compose.yaml", "config", "-q"], cwd=DOCKER,
                       capture_output=True, timeout=60)
    assert r.returncode == 0 and r.stderr == b"", r.stderr.decode()


def stages():
    """{stage name: [packages apt-get installs]} of the Dockerfile."""
    with open(os.path.join(DOCKER, "Dockerfile")) as f:
        text = re.sub(r"\\\n", " ", f.read())
    out, name = {}, None
    for line in text.splitlines():
        m = re.match(r"FROM\s+(\S+)\s+AS\s+(\S+)", line)
        if m:
            assert m.group(1) == "debian:12", line
            name = m.group(2)
            out[name] = []
        m = re.search(r"apt-get install ([^&]*)", line)
        if m:
            out[name] += [w for w in shlex.split(m.group(1)) if not w.startswith("-")]
    return out


def test_dockerfile_packages_exist_in_debian_12():
    pkgs = sorted(set(sum(stages().values(), [])))
    r = subprocess.run(["apt-cache", "show", "--no-all-versions"] + pkgs, capture_output=True,
                       timeout=60)
    found = set(re.findall(r"^Package: (\S+)$", r.stdout.decode(), re.M))
    assert found == set(pkgs), "not in Debian 12 (apt-get update first?): %s" % (
        set(pkgs) - found)


def test_dockerfile_build_stage_has_what_configure_needs():
    with open(os.path.join(ROOT, "configure.ac")) as f:
        needed = re.findall(r"^TANDEM_NEED\(\[\w+\], \[[^]]*\], \[([^]]+)\]\)", f.read(), re.M)
    assert len(needed) >= 5
    assert set(needed) <= set(stages()["build"]), needed


def package_of(lib):
    """The Debian package that ships the shared library soname lib."""
    r = subprocess.run(["ldconfig", "-p"], capture_output=True, timeout=30)
    paths = re.findall(r"^\s*%s \(libc6,x86-64\) => (\S+)$" % re.escape(lib), r.stdout.decode(),
                       re.M)
    assert paths, lib
    real = os.path.realpath(paths[0])
    for path in (paths[0], real, real.replace("/usr/lib/", "/lib/", 1)):
        r = subprocess.run(["dpkg", "-S", path], capture_output=True, timeout=30)
        if r.returncode == 0:
            return r.stdout.decode().split(":")[0]
    raise AssertionError("no package ships %s" % lib)


def test_dockerfile_runtime_stage_has_the_libraries_the_daemons_link():
    runtime = set(stages()["runtime"])
    assert "python3" in runtime
    for binary in (APPD, PROXY):
        r = subprocess.run(["readelf", "-d", binary], capture_output=True, timeout=30)
        for lib in re.findall(r"\(NEEDED\)\s+Shared library: \[(\S+)\]", r.stdout.decode()):
            if re.match(r"lib(asan|ubsan)\.", lib):
                continue     # the sanitizer build's runtime, not shipped
            pkg = package_of(lib)
            # Every debian:12 image has the C library (its Essential set needs it).
            assert pkg in runtime or pkg == "libc6", (binary, lib, pkg)


def test_dockerfile_default_app_is_the_command():
    with open(os.path.join(DOCKER, "Dockerfile")) as f:
        text = f.read()
    app_src = re.search(r"^ARG APP_SRC=(\S+)$", text, re.M).group(1)
    cmd = re.search(r"^CMD (\[.*\])$", text, re.M).group(1)
    argv = yaml.safe_load(cmd)
    module = argv[-1].split(":")[0]
    assert os.path.isfile(os.path.join(ROOT, app_src, module + ".py"))
    assert flag(argv, "--chdir") == "/app" and "COPY ${APP_SRC} /app" in text
    assert compose()["services"]["app"]["command"][-1] == argv[-1]
