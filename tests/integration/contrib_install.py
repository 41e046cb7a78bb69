"""contrib_install.py: installs contrib/ files into a private directory the
way a package would, with their fixed paths (/etc/default, /run/tandem,
/var/log/tandem, /usr/sbin) pointed at that directory and the build tree."""
import os
import shutil
import subprocess
import tempfile

from harness import APPD, APPS, PROXY, ROOT

CONTRIB = os.path.join(ROOT, "contrib")


def nobody_reaches_the_build():
    """Whether user nobody may run the build's daemons and read the test
    apps (not when the checkout sits under a private home directory)."""
    r = subprocess.run(["/bin/sh", "-c", 'test -x "$0" && test -x "$1" && test -r "$2"', APPD,
                        PROXY, os.path.join(APPS, "probe.py")], user="nobody", group="nogroup",
                       extra_groups=[], capture_output=True, timeout=30)
    return r.returncode == 0


class Installed:
    """A root for installed files: etc/, run/tandem/, log/; readable by the
    daemons' user (nobody when the tests run as root and nobody can reach
    the build, else the tester)."""

    def __init__(self):
        self.root = tempfile.mkdtemp(prefix="tandem-contrib-")
        os.chmod(self.root, 0o755)
        self.user = self.group = ""
        if os.geteuid() == 0 and nobody_reaches_the_build():
            self.user, self.group = "nobody", "nogroup"
        self.run = os.path.join(self.root, "run", "tandem")
        self.logs = os.path.join(self.root, "log")

    def path(self, *parts):
        return os.path.join(self.root, *parts)

    def text(self, rel, **subst):
        """contrib/REL with each key replaced by its value."""
        with open(os.path.join(CONTRIB, rel)) as f:
            text = f.read()
        for old, new in subst.items():
            text = text.replace(old, new)
        return text

    def write(self, rel, text, mode=0o644):
        dest = self.path(rel)
        os.makedirs(os.path.dirname(dest), exist_ok=True)
        with open(dest, "w") as f:
            f.write(text)
        os.chmod(dest, mode)
        return dest

    def init_script(self, name):
        """contrib/init.d/NAME as etc/init.d/NAME reading etc/default/NAME and
        running the daemon of the build tree."""
        return self.write("etc/init.d/" + name, self.text(
            "init.d/" + name, **{"/etc/default/" + name: self.path("etc/default", name),
                                 "/usr/sbin/tandem-appd": APPD,
                                 "/usr/sbin/tandem-proxy": PROXY}), 0o755)

    def defaults(self, name, **values):
        """contrib/default/NAME with values appended (they win, as an
        operator's edits would)."""
        extra = "".join('%s="%s"\n' % kv for kv in values.items())
        return self.write("etc/default/" + name, self.text("default/" + name) + extra)

    def stack_defaults(self, port, cert=None, key=None, app="probe:app", appdir=None):
        common = dict(DAEMON_USER=self.user, DAEMON_GROUP=self.group, START_TIMEOUT="60",
                      STOP_TIMEOUT="20")
        sock = os.path.join(self.run, "app.sock")
        self.defaults("tandem-appd", APP=app, APP_DIR=appdir or "",
                      DAEMON_OPTS="--workers 2", SOCKET=sock,
                      PIDFILE=os.path.join(self.run, "appd.pid"),
                      LOGFILE=os.path.join(self.logs, "appd.log"), **common)
        self.defaults("tandem-proxy", BIND="127.0.0.1:%d" % port,
                      UPSTREAM="unix:" + sock, CERTFILE=cert or "", KEYFILE=key or "",
                      DAEMON_OPTS="--threads 1", PIDFILE=os.path.join(self.run, "proxy.pid"),
                      LOGFILE=os.path.join(self.logs, "proxy.log"), **common)
        return sock

    def copy_readable(self, src, rel):
        """A copy of src the daemons' user can read (certificates)."""
        dest = self.path(rel)
        os.makedirs(os.path.dirname(dest), exist_ok=True)
        shutil.copyfile(src, dest)
        os.chmod(dest, 0o644)
        return dest

    def remove(self):
        shutil.rmtree(self.root, ignore_errors=True)
