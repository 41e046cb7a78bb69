"""sd_launch.py: starts a program the way systemd starts a socket-activated
service (sd_listen_fds(3)): binds and listens on each --listen address, moves
the sockets to fd 3, 4, ..., sets LISTEN_FDS, LISTEN_FDNAMES and LISTEN_PID
(this process's pid, which exec keeps) and execs the program.

usage: sd_launch.py [--listen ADDR]... [--pid-offset N] -- PROGRAM [ARGS...]
ADDR is HOST:PORT, [V6]:PORT, an absolute Unix socket path, or PORT alone:
one dual-stack [::]:PORT socket, as systemd makes for ListenStream=PORT.  --pid-offset
sets LISTEN_PID to another process's number (the variables then are not
for the program, which must ignore them)."""
import os
import socket
import sys

FIRST_FD = 3


def listening(addr):
    if addr.startswith("/"):
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.bind(addr)
    elif addr.isdigit():
        s = socket.socket(socket.AF_INET6, socket.SOCK_STREAM)
        s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
        s.bind(("::", int(addr)))
    elif addr.startswith("["):
        host, port = addr[1:].split("]:")
        s = socket.socket(socket.AF_INET6, socket.SOCK_STREAM)
        s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
        s.bind((host, int(port)))
    else:
        host, port = addr.rsplit(":", 1)
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind((host, int(port)))
    s.listen(128)
    return s


def main(argv):
    sep = argv.index("--")
    opts, program = argv[:sep], argv[sep + 1:]
    addrs = [opts[i + 1] for i, o in enumerate(opts) if o == "--listen"]
    offset = int(opts[opts.index("--pid-offset") + 1]) if "--pid-offset" in opts else 0
    socks = [listening(a) for a in addrs]
    # Out of the way first, so moving one to its place cannot close another.
    held = [os.dup(s.fileno()) for s in socks]
    for i, fd in enumerate(held):
        os.dup2(fd, FIRST_FD + i, inheritable=True)
    os.environ["LISTEN_FDS"] = str(len(socks))
    os.environ["LISTEN_FDNAMES"] = ":".join("web%d" % i for i in range(len(socks)))
    os.environ["LISTEN_PID"] = str(os.getpid() + offset)
    os.execv(program[0], program)


if __name__ == "__main__":
    main(sys.argv[1:])
