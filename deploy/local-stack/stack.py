"""Boot a real, throwaway stack: the local stack and the integration tests.

PostgreSQL, Redis and nginx are real servers, each on its own port in a
temporary folder; the QStash and twitterapi.io stand-ins are the project's
own (test/standins); webhook.fcgi and track-lot.fcgi are the built
responders, on unix sockets behind nginx. Everything is torn down at the
end, and every server's log is printed when a test failed.

Environment: ET_BUILD_DIR (the CMake build folder), ET_SOURCE_DIR.
"""
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request

import psycopg2
import psycopg2.extras

SOURCE_DIR = os.environ.get("ET_SOURCE_DIR") or os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))  # noqa: E501
BUILD_DIR = os.environ.get("ET_BUILD_DIR") or os.path.join(SOURCE_DIR, "build")
sys.path.insert(0, os.path.join(SOURCE_DIR, "test", "standins"))

API_KEY = "test-api-key-5b1f0c7e9a"
QSTASH_TOKEN = "eyJVc2VySUQiOiJkZWZhdWx0VXNlciIsIlBhc3N3b3JkIjoiZGVmYXVsdFBhc3N3b3JkIn0="
CURRENT_KEY = "sig_7kYjw48mhY7kAjqNGcy6cr29RJ6r"
NEXT_KEY = "sig_5ZB6DVzB1wjE8S6rZ7eenA8Pdnhs"
DB_PASSWORD = "pw-db-3c9d2e"
SECRETS = [API_KEY, QSTASH_TOKEN, CURRENT_KEY, NEXT_KEY, DB_PASSWORD]

WEBHOOK_PATH = "/api/webhooks/twitter"
TRACK_PATH = "/api/twitter/engagement/track-lot"


def pg_bin(name):
    for v in ("17", "16", "15", "14", "13"):
        p = "/usr/lib/postgresql/%s/bin/%s" % (v, name)
        if os.path.exists(p):
            return p
    return shutil.which(name) or name


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(pred, timeout=20.0, what="condition"):
    end = time.time() + timeout
    last = None
    while time.time() < end:
        try:
            v = pred()
            if v:
                return v
        except Exception as e:  # noqa: BLE001 - we report the last one
            last = e
        time.sleep(0.05)
    raise TimeoutError("timed out waiting for %s (%s)" % (what, last))


class Stack:
    """One throwaway deployment. Use as a context manager or call start/stop."""

    def __init__(self, name="test", env=None, qstash_args=(), upstream_args=(), threads=4,
                 start_apps=True, start_nginx=True, pg_conf="", nginx_extra=""):
        """pg_conf: extra postgresql.conf lines. nginx_extra: extra directives
        for the nginx server block (a string, or a function of the Stack
        returning one, called once its folder and ports are known)."""
        self.name = name
        self.pg_conf = pg_conf
        self.nginx_extra = nginx_extra
        self.extra_env = dict(env or {})
        self.qstash_args = list(qstash_args)
        self.upstream_args = list(upstream_args)
        self.threads = threads
        self.start_apps = start_apps
        self.with_nginx = start_nginx   # False: the caller serves http_port itself
        self.procs = {}
        self.dir = None
        self.failed = False

    # ---------- life ----------
    def __enter__(self):
        try:
            self.start()
        except BaseException:
            self.failed = True
            self.stop()
            raise
        return self

    def __exit__(self, exc_type, exc, tb):
        if exc_type is not None:
            self.failed = True
        self.stop()
        return False

    def start(self):
        self.dir = tempfile.mkdtemp(prefix="et-%s-" % self.name)
        os.chmod(self.dir, 0o755)
        self.pg_port = free_port()
        self.redis_port = free_port()
        self.http_port = free_port()
        self.qstash_port = free_port()
        self.upstream_port = free_port()
        self.app_url = "http://127.0.0.1:%d" % self.http_port
        self.webhook_url = self.app_url + WEBHOOK_PATH
        self.track_url = self.app_url + TRACK_PATH
        self.database_url = "postgresql://et:%s@127.0.0.1:%d/et" % (DB_PASSWORD, self.pg_port)
        self._init_pg()
        self.start_pg()
        self._create_db()
        self.start_redis()
        self.start_standins()
        self.migrate()
        if self.start_apps:
            self.start_app("webhook")
            self.start_app("track-lot")
        if self.with_nginx:
            self.start_nginx()

    def stop(self):
        """Stop everything. Raises if a responder did not exit cleanly or a
        sanitizer reported anything (ASan/UBSan/LSan builds)."""
        bad = []
        for name in list(self.procs):
            rc = self._stop_proc(name)
            if name in ("webhook", "track-lot") and rc not in (0, None):
                bad.append("%s exited with status %s" % (name, rc))
        if getattr(self, "pg_data", None) and os.path.exists(os.path.join(self.pg_data, "postmaster.pid")):
            self._pg_ctl("stop", "-m", "immediate")
        if self.dir and os.path.isdir(self.dir):
            for app in ("webhook", "track-lot"):
                path = os.path.join(self.dir, app + ".log")
                if os.path.exists(path):
                    with open(path, errors="replace") as fh:
                        text = fh.read()
                    for marker in ("ERROR: AddressSanitizer", "ERROR: LeakSanitizer", "runtime error:"):
                        if marker in text:
                            bad.append("%s: %s" % (app, marker))
        if bad:
            self.failed = True
        if self.failed or os.environ.get("ET_KEEP_LOGS"):
            self.dump_logs()
        if self.dir and not os.environ.get("ET_KEEP_LOGS"):
            shutil.rmtree(self.dir, ignore_errors=True)
        self.dir = None
        if bad:
            raise RuntimeError("; ".join(bad))

    def dump_logs(self):
        if not self.dir or not os.path.isdir(self.dir):
            return
        for f in sorted(os.listdir(self.dir)):
            if f.endswith(".log"):
                with open(os.path.join(self.dir, f), errors="replace") as fh:
                    text = fh.read()
                sys.stderr.write("\n===== %s (last 80 lines) =====\n" % f)
                sys.stderr.write("\n".join(text.splitlines()[-80:]) + "\n")

    def logs(self):
        """Every log line of every process so far (for secret checks)."""
        out = []
        paths = [os.path.join(self.dir, f) for f in sorted(os.listdir(self.dir)) if f.endswith(".log")]
        paths.append(os.path.join(self.dir, "pg", "server.log"))
        for path in paths:
            if os.path.exists(path):
                with open(path, errors="replace") as fh:
                    out.append(fh.read())
        return "\n".join(out)

    def app_log(self, name):
        with open(os.path.join(self.dir, name + ".log"), errors="replace") as fh:
            return fh.read()

    # ---------- processes ----------
    def _spawn(self, name, argv, env=None, user=None, ready_line=False):
        log = open(os.path.join(self.dir, name + ".log"), "ab")
        if user and os.geteuid() == 0:
            argv = ["runuser", "-u", user, "--"] + argv
        p = subprocess.Popen(argv, stdout=subprocess.PIPE if ready_line else log, stderr=log,
                             env=env or os.environ.copy(), start_new_session=True)
        log.close()   # the child holds its own descriptor
        self.procs[name] = p
        if ready_line:
            line = p.stdout.readline().decode()
            p.stdout.close()
            if not line.startswith("ready"):
                raise RuntimeError("%s did not start: %r" % (name, line))
        return p

    def _stop_proc(self, name, sig=signal.SIGTERM, timeout=10):
        p = self.procs.pop(name, None)
        if not p:
            return None
        if p.poll() is None:
            try:
                os.killpg(p.pid, sig)
            except ProcessLookupError:
                pass
            try:
                p.wait(timeout)
            except subprocess.TimeoutExpired:
                os.killpg(p.pid, signal.SIGKILL)
                p.wait()
        return p.returncode

    # ---------- PostgreSQL ----------
    def _as_pg(self, argv):
        if os.geteuid() == 0:
            return ["runuser", "-u", "postgres", "--"] + argv
        return argv

    def _init_pg(self):
        self.pg_data = os.path.join(self.dir, "pg")
        os.mkdir(self.pg_data)
        if os.geteuid() == 0:
            shutil.chown(self.pg_data, "postgres", "postgres")
        subprocess.run(self._as_pg([pg_bin("initdb"), "-D", self.pg_data, "-U", "postgres",
                                    "--auth=trust", "-E", "UTF8", "--no-locale"]),
                       check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        with open(os.path.join(self.pg_data, "postgresql.conf"), "a") as f:
            f.write("listen_addresses = '127.0.0.1'\nport = %d\nunix_socket_directories = ''\n"
                    "fsync = off\nsynchronous_commit = off\nfull_page_writes = off\n"
                    "max_connections = 200\n" % self.pg_port)
            if self.pg_conf:
                f.write(self.pg_conf.rstrip("\n") + "\n")
        with open(os.path.join(self.pg_data, "pg_hba.conf"), "w") as f:
            f.write("host all postgres 127.0.0.1/32 trust\nhost all all 127.0.0.1/32 md5\n")

    def _pg_ctl(self, *args):
        return subprocess.run(self._as_pg([pg_bin("pg_ctl"), "-D", self.pg_data, "-w",
                                           "-l", os.path.join(self.pg_data, "server.log")] + list(args)),
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    def start_pg(self):
        r = self._pg_ctl("start")
        if r.returncode != 0:
            raise RuntimeError("postgres did not start")

    def stop_pg(self, mode="fast"):
        self._pg_ctl("stop", "-m", mode)

    def restart_pg(self):
        self._pg_ctl("restart", "-m", "fast")

    def _create_db(self):
        c = psycopg2.connect(host="127.0.0.1", port=self.pg_port, user="postgres", dbname="postgres")
        c.autocommit = True
        with c.cursor() as cur:
            cur.execute("CREATE ROLE et LOGIN PASSWORD %s", (DB_PASSWORD,))
            cur.execute("CREATE DATABASE et OWNER et")
        c.close()

    def db(self):
        c = psycopg2.connect(self.database_url)
        c.autocommit = True
        return c

    def sql(self, query, params=None):
        """Rows of a query (list of dicts); [] for statements without rows."""
        c = self.db()
        try:
            with c.cursor(cursor_factory=psycopg2.extras.RealDictCursor) as cur:
                cur.execute(query, params)
                return cur.fetchall() if cur.description else []
        finally:
            c.close()

    def scalar(self, query, params=None):
        rows = self.sql(query, params)
        return list(rows[0].values())[0] if rows else None

    def migrate(self):
        ctl = os.path.join(BUILD_DIR, "bin", "engagementctl")
        env = self.env()
        r = subprocess.run([ctl, "migrate", "--schema", os.path.join(SOURCE_DIR, "schema")], env=env,
                           capture_output=True, text=True)
        with open(os.path.join(self.dir, "ctl.log"), "a") as f:
            f.write(r.stderr)
        if r.returncode != 0:
            raise RuntimeError("migrate failed: %s %s" % (r.stdout, r.stderr))

    def ctl(self, *args, env=None):
        e = self.env()
        e.update(env or {})
        r = subprocess.run([os.path.join(BUILD_DIR, "bin", "engagementctl")] + list(args), env=e,
                           capture_output=True, text=True)
        with open(os.path.join(self.dir, "ctl.log"), "a") as f:
            f.write(r.stderr)
        return r

    # ---------- Redis ----------
    def start_redis(self):
        self._spawn("redis", ["redis-server", "--port", str(self.redis_port), "--bind", "127.0.0.1",
                              "--save", "", "--appendonly", "no", "--dir", self.dir])
        wait_for(lambda: self.redis("PING") == "PONG", what="redis")

    def stop_redis(self):
        self._stop_proc("redis")

    def redis(self, *args):
        r = subprocess.run(["redis-cli", "-p", str(self.redis_port), "--raw"] + list(args),
                           capture_output=True, text=True, timeout=5)
        return r.stdout.strip()

    # ---------- stand-ins ----------
    def start_standins(self):
        py = sys.executable
        self._spawn("qstash", [py, os.path.join(SOURCE_DIR, "test", "standins", "qstash.py"),
                               "--port", str(self.qstash_port), "--retry-backoff", "1,2,4",
                               "--max-retry-after", "2"] + self.qstash_args, ready_line=True)
        self._spawn("twitterapi", [py, os.path.join(SOURCE_DIR, "test", "standins", "twitterapi.py"),
                                   "--port", str(self.upstream_port), "--api-key", API_KEY]
                    + self.upstream_args, ready_line=True)

    def http(self, method, url, body=None, headers=None, timeout=30):
        """(status, parsed JSON or text, headers)."""
        data = body if isinstance(body, (bytes, type(None))) else json.dumps(body).encode()
        req = urllib.request.Request(url, data=data, method=method, headers=headers or {})
        try:
            with urllib.request.urlopen(req, timeout=timeout) as r:
                raw, status, hdrs = r.read(), r.status, dict(r.headers)
        except urllib.error.HTTPError as e:
            raw, status, hdrs = e.read(), e.code, dict(e.headers)
        try:
            return status, json.loads(raw.decode() or "null"), hdrs
        except ValueError:
            return status, raw.decode(errors="replace"), hdrs

    def qstash(self, method, path, body=None):
        return self.http(method, "http://127.0.0.1:%d%s" % (self.qstash_port, path), body,
                         {"Content-Type": "application/json"})[1]

    def upstream(self, method, path, body=None):
        return self.http(method, "http://127.0.0.1:%d%s" % (self.upstream_port, path), body,
                         {"Content-Type": "application/json"})[1]

    # ---------- the product ----------
    def env(self, **over):
        e = {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "DATABASE_URL": self.database_url,
            "REDIS_URL": "redis://127.0.0.1:%d/0" % self.redis_port,
            "TWITTER_API_KEY": API_KEY,
            "TWITTER_API_BASE_URL": "http://127.0.0.1:%d" % self.upstream_port,
            "QSTASH_URL": "http://127.0.0.1:%d" % self.qstash_port,
            "QSTASH_TOKEN": QSTASH_TOKEN,
            "QSTASH_CURRENT_SIGNING_KEY": CURRENT_KEY,
            "QSTASH_NEXT_SIGNING_KEY": NEXT_KEY,
            "APP_URL": self.app_url,
            "TRACK_LOT_PATH": TRACK_PATH,
            "LOG_LEVEL": "debug",
            "FCGI_THREADS": str(self.threads),
            "OUTBOX_RETRY_SECONDS": "1",
            "UPSTREAM_TIMEOUT_MS": "2000",
            "QSTASH_TIMEOUT_MS": "2000",
        }
        for k in ("ASAN_OPTIONS", "UBSAN_OPTIONS", "LSAN_OPTIONS"):
            if k in os.environ:
                e[k] = os.environ[k]
        e.update(self.extra_env)
        e.update(over)
        return e

    def socket_path(self, app):
        return os.path.join(self.dir, app + ".sock")

    def start_app(self, app, wrapper=()):
        sock = self.socket_path(app)
        if os.path.exists(sock):
            os.unlink(sock)
        exe = os.path.join(BUILD_DIR, "cgi-bin", app + ".fcgi")
        self._spawn(app, list(wrapper) + [exe, "--listen", sock], env=self.env())
        wait_for(lambda: os.path.exists(sock) or self.procs[app].poll() is not None, what=app)
        if self.procs[app].poll() is not None:
            raise RuntimeError("%s exited at start: %s" % (app, self.app_log(app)[-2000:]))
        os.chmod(sock, 0o666)

    def stop_app(self, app, sig=signal.SIGTERM):
        return self._stop_proc(app, sig)

    def start_nginx(self):
        conf = os.path.join(self.dir, "nginx.conf")
        user = "user root;\n" if os.geteuid() == 0 else ""
        extra = self.nginx_extra(self) if callable(self.nginx_extra) else self.nginx_extra
        with open(conf, "w") as f:
            f.write("""%(user)sworker_processes 1;
error_log %(dir)s/nginx-error.log warn;
pid %(dir)s/nginx.pid;
daemon off;
events { worker_connections 1024; }
http {
  access_log %(dir)s/nginx-access.log;
  client_body_temp_path %(dir)s/body;
  fastcgi_temp_path %(dir)s/fcgi;
  proxy_temp_path %(dir)s/proxy;
  uwsgi_temp_path %(dir)s/uwsgi;
  scgi_temp_path %(dir)s/scgi;
  server {
    listen 127.0.0.1:%(port)d;
    client_max_body_size 4m;
    client_body_buffer_size 4m;
    location = %(webhook)s {
      include /etc/nginx/fastcgi_params;
      fastcgi_pass unix:%(dir)s/webhook.sock;
    }
    location = %(track)s {
      include /etc/nginx/fastcgi_params;
      fastcgi_read_timeout 120s;
      fastcgi_pass unix:%(dir)s/track-lot.sock;
    }
%(extra)s
  }
}
""" % {"user": user, "dir": self.dir, "port": self.http_port, "webhook": WEBHOOK_PATH,
       "track": TRACK_PATH, "extra": extra or ""})
        self._spawn("nginx", ["nginx", "-c", conf, "-p", self.dir])
        wait_for(lambda: self._port_open(self.http_port), what="nginx")

    @staticmethod
    def _port_open(port):
        with socket.socket() as s:
            s.settimeout(0.2)
            return s.connect_ex(("127.0.0.1", port)) == 0

    # ---------- domain helpers ----------
    def add_zone(self, name="zone", rule_id=None):
        """A zone and a rule mapping rule_id to it. Returns (zone_id, rule_id)."""
        rule_id = rule_id or "rule-%s" % os.urandom(6).hex()
        zone = self.scalar("INSERT INTO zones (name) VALUES (%s) RETURNING id::text", (name,))
        self.sql("INSERT INTO twitter_rules (zone_id, tag, external_rule_id) VALUES (%s, %s, %s)",
                 (zone, name, rule_id))
        return zone, rule_id

    def post_webhook(self, body, key=API_KEY, raw=None, headers=None):
        h = {"Content-Type": "application/json"}
        if key is not None:
            h["X-API-Key"] = key
        h.update(headers or {})
        data = raw if raw is not None else json.dumps(body).encode()
        return self.http("POST", self.webhook_url, data, h)

    def messages(self):
        return self.qstash("GET", "/_standin/messages")
