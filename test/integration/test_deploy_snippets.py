"""The files an operator installs (deploy/), exercised with the real servers.

The nginx and lighttpd snippets are included unchanged into a minimal site,
only their socket folder rewritten to the stack's; each serves the stack's
public port in turn, so QStash's callbacks go through the snippet too. The
spawn-fcgi script starts the responders on an inherited socket. The env
template is compared with the settings table of lib/config.c, and the
systemd units are checked with systemd-analyze where it exists.
"""
import os
import re
import shutil
import subprocess
import time
import unittest

from common import StackTest, delivery, harness, main, make_tweets, new_id, wait_for

DEPLOY = os.path.join(harness.SOURCE_DIR, "deploy")
RUN_DIR = "/run/engagement-tracker/"
IS_ROOT = os.geteuid() == 0


def read(*parts):
    with open(os.path.join(DEPLOY, *parts)) as f:
        return f.read()


def alive(pid):
    try:
        with open("/proc/%d/stat" % pid) as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except FileNotFoundError:
        return False


def config_settings():
    """[(name, type, default or None, required_by)] from lib/config.c's table,
    plus the names it reads with getenv() outside the table."""
    with open(os.path.join(harness.SOURCE_DIR, "lib", "config.c")) as f:
        src = f.read()
    rows = re.findall(r'\{\s*"([A-Z][A-Z0-9_]*)",\s*T_(\w+),\s*OFF\(\w+\),\s*(NULL|"[^"]*"),\s*([^,]+),',
                      src)
    table = [(n, t, None if d == "NULL" else d[1:-1], req.strip()) for n, t, d, req in rows]
    extra = sorted(set(re.findall(r'getenv\("([A-Z][A-Z0-9_]*)"\)', src)) - {r[0] for r in table})
    return table, extra


class DeploySnippets(StackTest):
    # One update per lot, due 2 s after the delivery: the first callback
    # proves the track-lot location, and the lot ends there.
    stack_args = {"env": {"TRACKING_INTERVAL_SECONDS": "2", "TRACKING_MAX_UPDATES": "1",
                          "TRACKING_AGE_LIMIT_SECONDS": "86400"},
                  "qstash_args": ["--time-scale", "1"], "start_nginx": False}

    # ---------- helpers ----------
    def snippet(self, kind):
        """The snippet with its socket folder rewritten to the stack's."""
        text = read(kind, "engagement-tracker.conf")
        self.assertEqual(text.count(RUN_DIR + "webhook.sock"), 1, kind)
        self.assertEqual(text.count(RUN_DIR + "track-lot.sock"), 1, kind)
        return text.replace(RUN_DIR, self.stack.dir + "/")

    def conf_dir(self, name):
        d = os.path.join(self.stack.dir, name)
        os.makedirs(d, exist_ok=True)
        return d

    def serve(self, name, argv, port):
        """Start a web server on the stack's public port, stopped at the end of the test."""
        self.stack._spawn(name, argv)
        self.addCleanup(self.stack._stop_proc, name)
        wait_for(lambda: self.stack._port_open(port) or self.stack.procs[name].poll() is not None,
                 timeout=10, what=name)
        if self.stack.procs[name].poll() is not None:
            self.fail("%s exited at start:\n%s" % (name, self.stack.logs()[-3000:]))

    def start_nginx(self):
        st = self.stack
        d = self.conf_dir("nginx-snippet")
        # The snippet's `include fastcgi_params` is relative to the folder
        # of the main configuration, as under /etc/nginx.
        shutil.copy("/etc/nginx/fastcgi_params", os.path.join(d, "fastcgi_params"))
        with open(os.path.join(d, "engagement-tracker.conf"), "w") as f:
            f.write(self.snippet("nginx"))
        conf = os.path.join(d, "nginx.conf")
        with open(conf, "w") as f:
            f.write("""%(user)sworker_processes 1;
error_log %(dir)s/snippet-nginx-error.log info;
pid %(d)s/nginx.pid;
daemon off;
events { worker_connections 64; }
http {
  access_log %(dir)s/snippet-nginx-access.log;
  client_body_temp_path %(d)s/body;
  fastcgi_temp_path %(d)s/fcgi;
  proxy_temp_path %(d)s/proxy;
  uwsgi_temp_path %(d)s/uwsgi;
  scgi_temp_path %(d)s/scgi;
  server {
    listen 127.0.0.1:%(port)d;
    location / { return 404; }
    include %(d)s/engagement-tracker.conf;
  }
}
""" % {"user": "user root;\n" if IS_ROOT else "", "dir": st.dir, "d": d, "port": st.http_port})
        t = subprocess.run(["nginx", "-t", "-c", conf, "-p", d], capture_output=True, text=True)
        self.assertEqual(t.returncode, 0, t.stderr)
        self.serve("snippet-nginx", ["nginx", "-c", conf, "-p", d], st.http_port)

    def start_lighttpd(self):
        st = self.stack
        d = self.conf_dir("lighttpd-snippet")
        with open(os.path.join(d, "engagement-tracker.conf"), "w") as f:
            f.write(self.snippet("lighttpd"))
        conf = os.path.join(d, "lighttpd.conf")
        # Started as root without server.username, lighttpd keeps running as
        # root (fine for a throwaway test; the snippet does not care).
        with open(conf, "w") as f:
            f.write("""server.document-root = "%(d)s"
server.bind = "127.0.0.1"
server.port = %(port)d
server.errorlog = "%(dir)s/snippet-lighttpd-error.log"
server.upload-dirs = ( "%(d)s" )
include "%(d)s/engagement-tracker.conf"
""" % {"dir": st.dir, "d": d, "port": st.http_port})
        t = subprocess.run(["lighttpd", "-tt", "-f", conf], capture_output=True, text=True)
        self.assertEqual(t.returncode, 0, t.stderr)
        self.assertNotIn("WARNING", t.stdout + t.stderr)
        self.serve("snippet-lighttpd", ["lighttpd", "-D", "-f", conf], st.http_port)

    def from_app(self, status, body, expected):
        """The answer is the responder's own JSON, not the web server's page."""
        self.assertEqual(status, expected, body)
        self.assertIsInstance(body, dict, "not the responder's JSON: %r" % (body,))
        self.assertIn("error" if expected >= 400 else "ok", body)

    def check_mount(self, server):
        st = self.stack
        # The upstream's URL probe: 200 without the key.
        status, body, _ = st.post_webhook({"event_type": "test_webhook_url"}, key=None)
        self.from_app(status, body, 200)
        # POST only: the web server refuses the rest itself (the responder
        # would answer 405 in JSON).
        for url in (st.webhook_url, st.track_url):
            status, body, _ = st.http("GET", url)
            self.assertEqual(status, 403, "%s GET %s: %r" % (server, url, body))
            self.assertNotIsInstance(body, dict)
        # A wrong key: the responder's 401.
        status, body, _ = st.post_webhook({"event_type": "tweet", "rule_id": "r", "tweets": []},
                                          key="wrong-key")
        self.from_app(status, body, 401)
        # A 1.5 MB body reaches the responder (its limit is 2 MiB): junk
        # gets its 400, not the web server's 413.
        junk = b"not json " * (1536 * 1024 // 9)
        status, body, _ = st.post_webhook(None, raw=junk)
        self.from_app(status, body, 400)
        # Above 2 MiB: 413 (from the web server, whose limit is the same).
        status, body, _ = st.post_webhook(None, raw=b"x" * (2 * 1024 * 1024 + 4096))
        self.assertEqual(status, 413, body)
        # A callback without a valid signature: the responder's 401, so the
        # Upstash-Signature header and the body reach it.
        status, body, _ = st.http("POST", st.track_url, b'{"lotId": "x"}',
                                  {"Content-Type": "application/json", "Upstash-Signature": "a.b.c"})
        self.from_app(status, body, 401)
        self.end_to_end(server)

    def end_to_end(self, label):
        """A delivery through the webhook location, and QStash's signed
        callback through the track-lot location: one snapshot."""
        st = self.stack
        zone, rule = st.add_zone("deploy-%s" % label)
        tid = new_id()
        tweets = make_tweets(st, [{"id": tid, "created_at": int(time.time()) - 60, "likes": 2}])
        status, body, _ = st.post_webhook(delivery(rule, tweets))
        self.assertEqual(status, 200, body)
        self.assertEqual(body["created"], 1, body)
        st.upstream("POST", "/_standin/tweets", [{"id": tid, "likes": 5}])
        wait_for(lambda: st.scalar("SELECT count(*) FROM twitter_engagement_history h"
                                   " JOIN twitter_tweets t ON t.id = h.tweet_id WHERE t.tweet_id = %s",
                                   (tid,)) == 1, timeout=20, what="snapshot via %s" % label)

    # ---------- the web server snippets ----------
    def test_nginx_snippet(self):
        self.start_nginx()
        self.check_mount("nginx")
        # client_body_buffer_size holds a big delivery in memory: nginx
        # logs a warning whenever it spools a body to a temporary file.
        with open(os.path.join(self.stack.dir, "snippet-nginx-error.log")) as f:
            self.assertNotIn("buffered to a temporary file", f.read())

    def test_lighttpd_snippet(self):
        self.start_lighttpd()
        self.check_mount("lighttpd")

    # ---------- spawn-fcgi: the responders on an inherited fd 0 ----------
    @unittest.skipUnless(IS_ROOT, "spawn-fcgi changes user only when run as root")
    def test_spawn_fcgi_script(self):
        st = self.stack
        script = os.path.join(DEPLOY, "spawn-fcgi", "engagement-tracker")
        env_file = os.path.join(st.dir, "spawn-fcgi.env")
        with open(env_file, "w") as f:
            for k, v in sorted(st.env().items()):
                f.write("%s='%s'\n" % (k, v))
            f.write("FCGI_LISTEN=':1'\n")   # the script must unset it
        env = dict(os.environ, ENGAGEMENT_ENV_FILE=env_file, ENGAGEMENT_RUN_DIR=st.dir,
                   ENGAGEMENT_LOG_DIR=st.dir, ENGAGEMENT_USER="nobody", ENGAGEMENT_GROUP="nogroup",
                   ENGAGEMENT_SOCKET_GROUP="nogroup", ENGAGEMENT_PROCESSES="2",
                   ENGAGEMENT_LIBEXEC=os.path.join(harness.BUILD_DIR, "cgi-bin"))

        def run(*args):
            return subprocess.run(["sh", script] + list(args), env=env, capture_output=True, text=True,
                                  timeout=60)

        for app in ("webhook", "track-lot"):
            st.stop_app(app)
            os.unlink(st.socket_path(app))
            self.addCleanup(st.start_app, app)
        self.addCleanup(run, "stop")
        r = run("start")
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        pids = []
        for app in ("webhook", "track-lot"):
            s = os.stat(st.socket_path(app))
            self.assertEqual(s.st_mode & 0o777, 0o660, app)
            with open(os.path.join(st.dir, app + ".pid")) as f:
                app_pids = [int(p) for p in f.read().split()]
            self.assertEqual(len(app_pids), 2, app)
            for pid in app_pids:
                with open("/proc/%d/status" % pid) as f:
                    uid = re.search(r"^Uid:\s+(\d+)", f.read(), re.M).group(1)
                self.assertEqual(int(uid), int(subprocess.check_output(["id", "-u", "nobody"])), app)
            pids += app_pids
        self.assertEqual(run("status").returncode, 0)
        self.start_nginx()
        status, body, _ = st.post_webhook({"event_type": "test_webhook_url"}, key=None)
        self.from_app(status, body, 200)
        self.end_to_end("spawn-fcgi")
        r = run("stop")
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertEqual(run("status").returncode, 3)
        self.assertFalse(os.path.exists(st.socket_path("webhook")))
        for pid in pids:
            self.assertFalse(alive(pid), "pid %d still running after stop" % pid)

    # ---------- the files agree with the code and with each other ----------
    def test_env_example_lists_every_setting(self):
        table, extra = config_settings()
        self.assertGreater(len(table), 25)
        lines = read("env.example").splitlines()
        seen = {}
        for i, line in enumerate(lines):
            m = re.match(r"^(#?)([A-Z][A-Z0-9_]*)=(.*)$", line)
            if m:
                self.assertNotIn(m.group(2), seen, "listed twice: " + m.group(2))
                comment = []
                j = i - 1
                while j >= 0 and lines[j].startswith("# "):
                    comment.append(lines[j])
                    j -= 1
                seen[m.group(2)] = (m.group(1) == "#", m.group(3).strip("'\""), " ".join(comment))
        wanted = {n for n, _, _, _ in table} | set(extra)
        self.assertEqual(set(seen) - wanted, set(), "in env.example but not read by lib/config.c")
        self.assertEqual(wanted - set(seen), set(), "read by lib/config.c but not in env.example")
        for name, typ, default, required_by in table:
            commented, value, comment = seen[name]
            self.assertTrue(comment, "%s has no comment" % name)
            if default is None and required_by != "0":
                self.assertFalse(commented, "%s is required: set it, not commented out" % name)
                self.assertIn("REQUIRED", comment, name)
                if typ == "SECRET":
                    self.assertIn("CHANGE-ME", value, "%s: a placeholder, not a value" % name)
            else:
                self.assertTrue(commented, "%s is optional: show its default commented out" % name)
                self.assertEqual(value, default or "", "%s: default differs from lib/config.c" % name)
                self.assertNotIn("REQUIRED", comment, name)
        for secret in harness.SECRETS[:1] + harness.SECRETS[-1:]:
            self.assertNotIn(secret, read("env.example"))
        # The shell (spawn-fcgi script, engagementctl) loads it as it is.
        r = subprocess.run(["sh", "-c", 'set -a; . "$0"; set +a; env', os.path.join(DEPLOY, "env.example")],
                           capture_output=True, text=True, env={"PATH": os.environ.get("PATH", "/usr/bin:/bin")})
        self.assertEqual((r.returncode, r.stderr), (0, ""))
        loaded = dict(line.split("=", 1) for line in r.stdout.splitlines() if "=" in line)
        for name, (commented, value, _) in seen.items():
            self.assertEqual(loaded.get(name), None if commented else value, name)

    def test_paths_agree_across_deploy_files(self):
        table, _ = config_settings()
        track_path = dict((n, d) for n, _, d, _ in table)["TRACK_LOT_PATH"]
        self.assertEqual(track_path, harness.TRACK_PATH)
        nginx, lighttpd = read("nginx", "engagement-tracker.conf"), read("lighttpd", "engagement-tracker.conf")
        for path in (harness.WEBHOOK_PATH, track_path):
            self.assertIn("location = %s {" % path, nginx)
            self.assertIn('$HTTP["url"] == "%s" {' % path, lighttpd)
        self.assertNotRegex(nginx, r"(?m)^\s*fastcgi_keep_conn\s+on")
        for app in ("webhook", "track-lot"):
            sock = RUN_DIR + app + ".sock"
            unit = read("systemd", "engagement-%s.socket" % app)
            self.assertIn("ListenStream=%s\n" % sock, unit)
            service = read("systemd", "engagement-%s.service" % app)
            for line in ("StandardInput=socket", "StandardOutput=journal", "User=engagement",
                         "EnvironmentFile=/etc/engagement-tracker/env",
                         "ExecStart=/usr/local/libexec/engagement-tracker/%s.fcgi" % app):
                self.assertIn(line + "\n", service, app)
        self.assertIn("RUN_DIR=${ENGAGEMENT_RUN_DIR:-%s}" % RUN_DIR.rstrip("/"),
                      read("spawn-fcgi", "engagement-tracker"))

    @unittest.skipUnless(shutil.which("systemd-analyze"), "systemd-analyze not installed")
    def test_systemd_units_verify(self):
        d = self.conf_dir("systemd-units")
        src = os.path.join(DEPLOY, "systemd")
        names = sorted(os.listdir(src))
        self.assertIn("engagement-flush-outbox.timer", names)
        for n in names:
            text = read("systemd", n)
            # verify checks that the programs exist: point at the build.
            text = text.replace("/usr/local/libexec/engagement-tracker/",
                                os.path.join(harness.BUILD_DIR, "cgi-bin") + "/")
            text = text.replace("/usr/local/bin/engagementctl",
                                os.path.join(harness.BUILD_DIR, "bin", "engagementctl"))
            with open(os.path.join(d, n), "w") as f:
                f.write(text)
        r = subprocess.run(["systemd-analyze", "verify", "--man=no"] + [os.path.join(d, n) for n in names],
                           capture_output=True, text=True, timeout=60)
        complaints = [line for line in (r.stdout + r.stderr).splitlines() if "engagement-" in line]
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertEqual(complaints, [])


if __name__ == "__main__":
    main()
