"""daemon_logs.py: the log files of the daemons the tests started and have not
stopped yet, so that a failing test's report carries their last lines (a
rare failure is diagnosable only from the run that saw it)."""
import os
import weakref

TAIL_LINES = 60

# (id(owner), path) -> (weak reference to owner, path, describe); an owner
# that is collected without being stopped drops out on its own.
_live = {}


def watch(owner, path, describe):
    """Remembers path as a log of owner (a daemon object) until forget(owner);
    describe(owner) names the daemon and its state when a test fails."""
    key = (id(owner), path)
    _live[key] = (weakref.ref(owner, lambda _ref: _live.pop(key, None)), path, describe)


def forget(owner):
    """Forgets every log of owner; called when the test harness stops it."""
    for key in [k for k in _live if k[0] == id(owner)]:
        del _live[key]


def _tail(path, lines):
    """The last lines of path; reads at most the last 64 KiB of a long log."""
    try:
        with open(path, "rb") as f:
            f.seek(0, os.SEEK_END)
            f.seek(max(0, f.tell() - 65536))
            text = f.read().decode("utf-8", "replace")
    except OSError as e:
        return "(cannot read %s: %s)\n" % (path, e.strerror)
    kept = text.splitlines()[-lines:]
    return "\n".join(kept) + "\n" if kept else "(empty)\n"


def tails(lines=TAIL_LINES):
    """[(section title, last lines)] for every live daemon's log, oldest first."""
    out = []
    for ref, path, describe in list(_live.values()):
        owner = ref()
        if owner is not None:
            title = "%s: last %d lines of %s" % (describe(owner), lines, path)
            out.append((title, _tail(path, lines)))
    return out


def describe_process(name, proc):
    """'name pid N (running)' or '... (exited N)' for a subprocess.Popen."""
    rc = proc.poll()
    state = "running" if rc is None else "exited %d" % rc
    return "%s pid %d (%s)" % (name, proc.pid, state)
