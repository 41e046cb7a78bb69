"""stacks.py: every server stack the bench runs, how each is configured and
started, and which workloads it can serve.  All listen on 127.0.0.1 with TLS
(the same dev certificate), 2 workers, idle connections kept 600 s, logs off,
and serve bench/app.py (or, without Python, the same bytes from files)."""
import os
import shutil
import subprocess

from procs import Server, free_port

BENCH = os.path.dirname(os.path.abspath(__file__))
IDLE_SECONDS = 600
HELLO = b"Hello, World!\n"
STREAM_BYTES = 1024 * 1024

H2 = ("hello-h2", "stream-h2", "post-h2", "latency", "idle-1k", "idle-10k")
ALL = ("hello-h1",) + H2


class Workspace:
    """The run's private directory: certificate, static files, configs, logs."""

    def __init__(self, root, certs, tandem_build, nofile):
        self.root = root
        self.cert, self.key = certs
        self.tandem_build = tandem_build
        self.nofile = nofile
        self.www = os.path.join(root, "www")
        os.makedirs(self.www, exist_ok=True)
        # Servers that drop root (nginx, h2o workers as nobody) read these.
        os.chmod(root, 0o755)
        for name, data in (("index.html", HELLO), ("stream", b"x" * STREAM_BYTES)):
            with open(os.path.join(self.www, name), "wb") as f:
                f.write(data)
        self.post_body = os.path.join(root, "post-64k.bin")
        with open(self.post_body, "wb") as f:
            f.write(b"p" * 65536)
        os.chmod(certs[1], 0o644)

    def path(self, *parts):
        return os.path.join(self.root, *parts)

    def fresh_dir(self, name):
        d = self.path(name)
        shutil.rmtree(d, ignore_errors=True)
        os.makedirs(d)
        os.chmod(d, 0o755)
        return d


def _nobody_user_line(keyword):
    return "%s nobody nogroup;" % keyword if os.geteuid() == 0 else ""


NGINX_CONF = """daemon off;
master_process on;
worker_processes 2;
worker_rlimit_nofile {nofile};
{user}
pid {d}/nginx.pid;
error_log {d}/error.log warn;
events {{ worker_connections {conns}; }}
http {{
    access_log off;
    client_body_temp_path {d}/body;
    proxy_temp_path {d}/proxy;
    fastcgi_temp_path {d}/fastcgi;
    uwsgi_temp_path {d}/uwsgi;
    scgi_temp_path {d}/scgi;
    sendfile on;
    tcp_nopush on;
    keepalive_timeout {idle}s;
    keepalive_requests 100000000;
    # 1.22 leaves TLSv1.3 out by default; every other stack offers it.
    ssl_protocols TLSv1.2 TLSv1.3;
    ssl_certificate {cert};
    ssl_certificate_key {key};
    server {{
        listen 127.0.0.1:{port} ssl http2;
        client_body_buffer_size 128k;
{locations}
    }}
}}
"""

NGINX_CEILING = """        location = / {{
            default_type text/plain;
            return 200 "Hello, World!\\n";
        }}
        location = /stream {{ default_type application/octet-stream; alias {www}/stream; }}"""

# uwsgi_pass opens one Unix connection per request (the uwsgi protocol has no
# keep-alive); buffers sized so a 1 MiB answer stays in memory.
NGINX_UWSGI = """        location / {{
            include /etc/nginx/uwsgi_params;
            uwsgi_pass unix:{sock};
            uwsgi_buffer_size 64k;
            uwsgi_buffers 16 64k;
        }}"""


def _nginx(ws, name, locations):
    d = ws.fresh_dir(name)
    port = free_port()
    conf = NGINX_CONF.format(nofile=ws.nofile, user=_nobody_user_line("user"), d=d,
                             conns=max(1024, ws.nofile - 256), idle=IDLE_SECONDS, cert=ws.cert,
                             key=ws.key, port=port, locations=locations)
    with open(os.path.join(d, "nginx.conf"), "w") as f:
        f.write(conf)
    return Server(name, ["nginx", "-e", os.path.join(d, "error.log"), "-p", d,
                         "-c", os.path.join(d, "nginx.conf")], port,
                  os.path.join(d, "server.log"))


class Composite:
    """Two servers stopped together (nginx in front of uWSGI); RSS is summed."""

    def __init__(self, front, back):
        self.front, self.back = front, back
        self.name, self.port = front.name, front.port

    def wait_ready(self, timeout=40.0):
        self.front.wait_ready(timeout, watch=(self.back,))

    def rss_kib(self):
        return self.front.rss_kib() + self.back.rss_kib()

    def log_tail(self):
        return self.front.log_tail() + "\n" + self.back.log_tail()

    def stop(self):
        self.front.stop()
        self.back.stop()


def start_nginx(ws):
    return _nginx(ws, "nginx", NGINX_CEILING.format(www=ws.www))


def _start_nginx_uwsgi(ws, name, threads):
    d = ws.fresh_dir(name + "-app")
    sock = os.path.join(d, "uwsgi.sock")
    argv = ["uwsgi", "--plugin", "python3", "--master", "--processes", "2",
            "--socket", sock, "--chmod-socket=666", "--listen", "1024",
            "--chdir", BENCH, "--wsgi-file", "app.py", "--callable", "app",
            "--disable-logging", "--die-on-term", "--need-app"]
    if threads:
        argv += ["--threads", str(threads)]
    back = Server(name + "-app", argv, None, os.path.join(d, "server.log"))
    front = _nginx(ws, name, NGINX_UWSGI.format(sock=sock))
    return Composite(front, back)


def start_nginx_uwsgi(ws):
    return _start_nginx_uwsgi(ws, "nginx-uwsgi", 0)


def start_nginx_uwsgi_threads(ws):
    return _start_nginx_uwsgi(ws, "nginx-uwsgi-threads", 4)


H2O_CONF = """listen:
  host: 127.0.0.1
  port: {port}
  ssl:
    certificate-file: {cert}
    key-file: {key}
    ocsp-update-interval: 0
num-threads: 2
max-connections: {conns}
http2-idle-timeout: {idle}
http1-request-timeout: {idle}
error-log: {d}/error.log
{user}
hosts:
  default:
    paths:
      /:
        file.dir: {www}
"""


def start_h2o(ws):
    d = ws.fresh_dir("h2o")
    port = free_port()
    user = "user: nobody" if os.geteuid() == 0 else ""
    with open(os.path.join(d, "h2o.conf"), "w") as f:
        f.write(H2O_CONF.format(port=port, cert=ws.cert, key=ws.key, conns=ws.nofile - 256,
                                idle=IDLE_SECONDS, d=d, user=user, www=ws.www))
    return Server("h2o", ["h2o", "-c", os.path.join(d, "h2o.conf")], port,
                  os.path.join(d, "server.log"))


def start_hypercorn(ws):
    d = ws.fresh_dir("hypercorn")
    port = free_port()
    argv = ["hypercorn", "--workers", "2", "--bind",
            "127.0.0.1:%d" % port, "--certfile", ws.cert, "--keyfile", ws.key,
            "--keep-alive", str(IDLE_SECONDS), "--backlog", "2048", "hypercorn_app:app"]
    return Server("hypercorn", argv, port, os.path.join(d, "server.log"), cwd=BENCH)


def start_gunicorn(ws):
    d = ws.fresh_dir("gunicorn")
    port = free_port()
    argv = ["gunicorn", "--workers", "2", "--worker-class", "gthread",
            "--threads", "4", "--bind", "127.0.0.1:%d" % port, "--certfile", ws.cert,
            "--keyfile", ws.key, "--keep-alive", str(IDLE_SECONDS), "--backlog", "2048",
            "--log-level", "warning", "--chdir", BENCH, "app:app"]
    return Server("gunicorn", argv, port, os.path.join(d, "server.log"))


def start_tandem(ws, name, worker_args, workers=2, proxy_threads=None):
    d = ws.fresh_dir(name)
    port = free_port()
    argv = [os.path.join(ws.tandem_build, "front", "tandem"), "-b", "127.0.0.1:%d" % port,
            "--certfile", ws.cert, "--keyfile", ws.key, "-w", str(workers),
            "--keepalive", str(IDLE_SECONDS), "--http2-idle-timeout", str(IDLE_SECONDS),
            "--log-level", "warning", "--chdir", BENCH]
    if proxy_threads:
        argv += ["--proxy-threads", str(proxy_threads)]
    return Server(name, argv + worker_args + ["app:app"], port, os.path.join(d, "server.log"))


SYNC = ["-k", "sync"]
GTHREAD = ["-k", "gthread", "--threads", "4"]


class Stack:
    def __init__(self, name, label, short, kind, scenarios, start, quick=False):
        self.name = name          # for --only
        self.label = label        # the table's row
        self.short = short        # the chart's label
        self.kind = kind          # ceiling, uwsgi, peer, tandem, scaling
        self.scenarios = scenarios
        self.start = start
        self.quick = quick        # part of --quick


STACKS = [
    Stack("nginx", "nginx `return 200` / static file (no Python: the ceiling)", "nginx (ceiling)",
          "ceiling", ("hello-h2", "hello-h1", "stream-h2", "latency", "idle-1k", "idle-10k"),
          start_nginx, quick=True),
    Stack("nginx-uwsgi", "nginx -> uwsgi protocol -> uWSGI, 2 processes", "nginx+uWSGI 2 proc",
          "uwsgi", ALL, start_nginx_uwsgi, quick=True),
    Stack("nginx-uwsgi-threads", "nginx -> uWSGI, 2 processes x 4 threads", "nginx+uWSGI 2x4 thr",
          "uwsgi", ALL, start_nginx_uwsgi_threads),
    Stack("h2o", "h2o, static file (no Python)", "h2o static", "peer",
          ("stream-h2", "idle-1k", "idle-10k"), start_h2o),
    Stack("hypercorn", "Hypercorn (h2), 2 workers", "Hypercorn 2 workers", "peer", ALL,
          start_hypercorn),
    Stack("gunicorn", "Gunicorn (Debian's, HTTP/1.1 only), gthread 2 x 4", "Gunicorn gthread 2x4",
          "peer", ("hello-h1", "idle-1k", "idle-10k"), start_gunicorn),
    Stack("tandem-sync", "tandem, 2 sync workers", "tandem sync 2", "tandem", ALL,
          lambda ws: start_tandem(ws, "tandem-sync", SYNC), quick=True),
    Stack("tandem-gthread", "tandem, 2 gthread workers x 4 threads", "tandem gthread 2x4",
          "tandem", ALL, lambda ws: start_tandem(ws, "tandem-gthread", GTHREAD), quick=True),
]


def _scaling_stack(workers, threads):
    name = "tandem-gthread-w%d-p%d" % (workers, threads)
    label = "tandem gthread x 4 threads: %d worker%s, %d proxy thread%s" % (
        workers, "s" if workers > 1 else "", threads, "s" if threads > 1 else "")
    short = "tandem %dw %dp" % (workers, threads)
    return Stack(name, label, short, "scaling", ("hello-h2",),
                 lambda ws: start_tandem(ws, name, GTHREAD, workers, threads))


SCALING = [_scaling_stack(w, t) for w in (1, 2) for t in (1, 2)]


def by_name(name):
    for s in STACKS + SCALING:
        if s.name == name:
            return s
    raise KeyError(name)


def peer_versions(tandem_build):
    """Package versions of every peer and tool, as dpkg knows them."""
    pkgs = ["nginx", "uwsgi-core", "uwsgi-plugin-python3", "h2o", "python3-hypercorn",
            "gunicorn", "nghttp2-client", "python3", "openssl"]
    out = []
    for p in pkgs:
        r = subprocess.run(["dpkg-query", "-W", "-f=${Version}", p], capture_output=True,
                           text=True)
        out.append((p, r.stdout.strip() if r.returncode == 0 else "not installed"))
    tandem = os.path.join(tandem_build, "front", "tandem")
    r = subprocess.run([tandem, "--version"], capture_output=True, text=True)
    rev = subprocess.run(["git", "-C", BENCH, "describe", "--always", "--dirty"],
                         capture_output=True, text=True)
    version = r.stdout.strip().replace("tandem ", "", 1) or "?"
    out.append(("tandem", "%s (%s)" % (version, rev.stdout.strip() or "no git")))
    return out
