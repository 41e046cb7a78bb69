"""daemon_logs.py: the log files of the daemons the tests started and have not
stopped yet, and the last lines of those the current test stopped, so that a
failing test's report carries them (a rare failure is diagnosable only from
the run that saw it)."""
import os
import weakref

TAIL_LINES = 60

# (id(owner), path) -> (weak reference to owner, path, describe); an owner
# that is collected without being stopped drops out on its own.
_live = {}
# (title, last lines) of the logs of the daemons stopped since the current
# test began: most tests stop theirs in a finally, before pytest reports.
_stopped = []


def watch(owner, path, describe):
    """Remembers path as a log of owner (a daemon object) until forget(owner);
    describe(owner) names the daemon and its state when a test fails."""
    key = (id(owner), path)
    _live[key] = (weakref.ref(owner, lambda _ref: _live.pop(key, None)), path, describe)


def forget(owner):
    """Forgets every log of owner, called when the test harness stops it;
    their tails stay for the report of the test that stopped it."""
    for key in [k for k in _live if k[0] == id(owner)]:
        _ref, path, describe = _live.pop(key)
        _stopped.append(_section(describe(owner), path, TAIL_LINES))


def end_of_test():
    """The current test's report is complete: drops the stopped daemons' tails."""
    del _stopped[:]


def _section(name, path, lines):
    return ("%s: last %d lines of %s" % (name, lines, path), _tail(path, lines))


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
    """[(section title, last lines)] for the daemons stopped during the
    current test, then for every live one, oldest first."""
    out = list(_stopped)
    for ref, path, describe in list(_live.values()):
        owner = ref()
        if owner is not None:
            out.append(_section(describe(owner), path, lines))
    return out


def describe_process(name, proc):
    """'name pid N (running)' or '... (exited N)' for a subprocess.Popen."""
    rc = proc.poll()
    state = "running" if rc is None else "exited %d" % rc
    return "%s pid %d (%s)" % (name, proc.pid, state)
