#!/usr/bin/env python3
"""Run ordinary-operation conditions against the real `entitle` binary and an independent
vendor simulator (vendor.py, written from the vendor facts in docs/vendor-api.md), counting the orders
committed in the simulator.

    python3 tests/independent/run.py                 # every condition
    python3 tests/independent/run.py --only c1a,c7   # some of them
    python3 tests/independent/run.py --list          # their names

Options: --bin PATH (default target/debug/entitle; build it first with `cargo build`),
--lag SECONDS (list/effect lag of the lagging vendors, default 15), --keep (keep the work
directory; it is always kept when a condition fails). Every command, its exit code, stdout
and stderr go to <workdir>/<condition>.log.

The PostgreSQL conditions start a throwaway cluster (initdb as user `nobody`, since initdb
refuses root) on a free port, one database per condition, and stop it at the end. The clock
conditions need libfaketime. A condition whose tool is missing is reported SKIPPED.
Exit status: 0 when every condition that ran passed, 1 otherwise.
"""

import argparse
import collections
import json
import os
import re
import shutil
import signal
import socket
import stat
import subprocess
import sys
import tempfile
import time
import traceback
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
VENDOR = os.path.join(HERE, "vendor.py")
FAKETIME_LIB = "/usr/lib/x86_64-linux-gnu/faketime/libfaketime.so.1"
PG_BIN = "/usr/lib/postgresql/15/bin"

PBX_A = "3651D3296882"   # grows 100 -> 300 extensions and subscribes Hotel PMS Integration
PBX_B = "3651D3290001"   # grows 50 -> 100 extensions
MANIFEST = f"""version: 1
defaults:
  billingContact: billing@example.com
pbxs:
  - sn: {PBX_A}
    product: software-edition
    plan: Enterprise Plan
    extensions: 300
    services:
      - Hotel PMS Integration
  - sn: {PBX_B}
    product: software-edition
    extensions: 100
"""
EXPECTED_KEYS = [(PBX_A, "purchase_service"), (PBX_B, "purchase_service")]
PBX_C = "3651D3290777"   # grows 20 -> 40 extensions (only in the 3-PBX manifest)
MANIFEST3 = MANIFEST + f"""  - sn: {PBX_C}
    product: software-edition
    extensions: 40
"""
EXPECTED_KEYS3 = EXPECTED_KEYS + [(PBX_C, "purchase_service")]

OPTS = None
WORK = None


# ---------------------------------------------------------------------------------------------
# the simulator


class Vendor:
    def __init__(self, cond, list_lag=0.0, effect_lag=0.0, echo=True):
        self.cond = cond
        args = [sys.executable, VENDOR, "--port", "0", "--list-lag", str(list_lag),
                "--effect-lag", str(effect_lag), "--log", os.path.join(cond.dir, "vendor.log")]
        if not echo:
            args.append("--no-echo")
        self.lag = max(list_lag, effect_lag)
        self.proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=open(
            os.path.join(cond.dir, "vendor.stderr"), "w"), text=True)
        line = self.proc.stdout.readline()
        m = re.match(r"PORT (\d+)", line)
        if not m:
            raise RuntimeError(f"vendor did not start: {line!r}")
        self.port = int(m.group(1))
        self.url = f"http://127.0.0.1:{self.port}"
        cond.note(f"vendor on port {self.port}: list lag {list_lag}s, effect lag {effect_lag}s, "
                  f"echo {'on' if echo else 'off'}")

    def admin(self, method, path, body=None):
        data = json.dumps(body).encode() if body is not None else None
        req = urllib.request.Request(self.url + path, data=data, method=method,
                                     headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(req, timeout=10) as r:
            return json.loads(r.read())

    def status(self):
        return self.admin("GET", "/_admin/status")

    def orders(self):
        return self.status()["orders"]

    def counts(self):
        c = collections.Counter()
        for o in self.orders():
            c[(o["productNo"], o["operationType"])] += 1
        return c

    def hold(self, phase, skip=0):
        self.admin("POST", "/_admin/hold", {"phase": phase, "skip": skip})

    def release(self):
        return self.admin("POST", "/_admin/release", {})["released"]

    def fault(self, kind, skip=0):
        self.admin("POST", "/_admin/fault", {"kind": kind, "skip": skip})

    def wait_held(self, timeout=60):
        end = time.time() + timeout
        while time.time() < end:
            st = self.status()
            if st["held"]:
                return st["held"][0]
            time.sleep(0.05)
        raise RuntimeError("no order save was held within %ss" % timeout)

    def wait_lag(self):
        """Sleep until every committed order shows in the list and on its PBX."""
        orders = self.orders()
        if not orders:
            return
        due = max(o["createTime"] for o in orders) / 1000 + self.lag + 2
        left = due - time.time()
        if left > 0:
            self.cond.note(f"waiting {left:.0f}s for the vendor's lag to pass")
            time.sleep(left)

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                self.proc.kill()


# ---------------------------------------------------------------------------------------------
# PostgreSQL


class Postgres:
    def __init__(self):
        self.ok = False
        self.why = ""
        self.port = None
        self.dir = None

    def start(self):
        if not os.path.exists(os.path.join(PG_BIN, "initdb")):
            self.why = f"{PG_BIN}/initdb not found"
            return False
        self.dir = tempfile.mkdtemp(prefix="entitle-indep-pg-")
        os.chmod(self.dir, 0o755)
        shutil.chown(self.dir, "nobody", "nogroup" if _group_exists("nogroup") else None)
        data = os.path.join(self.dir, "data")
        self.port = free_port()
        r = self.as_nobody(f"{PG_BIN}/initdb -D {data} -U entitle -A trust --no-sync >{self.dir}/initdb.log 2>&1")
        if r != 0:
            self.why = f"initdb failed, see {self.dir}/initdb.log"
            return False
        r = self.as_nobody(
            f"{PG_BIN}/pg_ctl -D {data} -l {self.dir}/server.log -w -t 60 "
            f"-o \"-p {self.port} -k {self.dir} -c listen_addresses=127.0.0.1 -c fsync=off\" start "
            f">{self.dir}/pg_ctl.log 2>&1")
        if r != 0:
            self.why = f"pg_ctl start failed, see {self.dir}/server.log"
            return False
        self.ok = True
        return True

    @staticmethod
    def as_nobody(cmd):
        return subprocess.call(["su", "nobody", "-s", "/bin/sh", "-c", cmd], cwd="/")

    def createdb(self, name):
        subprocess.check_call([f"{PG_BIN}/createdb", "-h", "127.0.0.1", "-p", str(self.port),
                               "-U", "entitle", name])
        return f"postgres://entitle@127.0.0.1:{self.port}/{name}"

    def sql(self, db, query):
        return subprocess.run([f"{PG_BIN}/psql", "-h", "127.0.0.1", "-p", str(self.port), "-U",
                               "entitle", "-d", db, "-Atc", query], capture_output=True,
                              text=True, timeout=30).stdout.strip()

    def stop(self):
        if self.ok:
            self.as_nobody(f"{PG_BIN}/pg_ctl -D {self.dir}/data -m fast -w stop >/dev/null 2>&1")
            self.ok = False
        if self.dir:
            shutil.rmtree(self.dir, ignore_errors=True)


def _group_exists(name):
    try:
        import grp
        grp.getgrnam(name)
        return True
    except KeyError:
        return False


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    p = s.getsockname()[1]
    s.close()
    return p


PG = Postgres()


# ---------------------------------------------------------------------------------------------
# a condition


class Skip(Exception):
    pass


class Cond:
    def __init__(self, name, title, expect):
        self.name = name
        self.title = title
        self.expect = expect
        self.dir = os.path.join(WORK, name)
        os.makedirs(self.dir)
        self.log = open(os.path.join(self.dir, "..", f"{name}.log"), "w")
        self.codes = []
        self.failures = []
        self.infos = []
        self.vendor = None
        self.counts = collections.Counter()
        self.skipped = None
        self.lockdir = self.private_dir("locks")

    def private_dir(self, name):
        d = os.path.join(self.dir, name)
        os.makedirs(d, exist_ok=True)
        os.chmod(d, 0o700)
        return d

    def workspace(self, name, manifest=MANIFEST):
        d = os.path.join(self.dir, name)
        os.makedirs(os.path.join(d, "m"), exist_ok=True)
        with open(os.path.join(d, "m", "test.yaml"), "w") as f:
            f.write(manifest)
        return d

    def note(self, msg):
        self.log.write(f"# {time.strftime('%H:%M:%S')} {msg}\n")
        self.log.flush()

    def check(self, ok, msg):
        if not ok:
            self.failures.append(msg)
            self.note("FAIL: " + msg)
        return ok

    def info(self, msg):
        self.infos.append(msg)
        self.note("INFO: " + msg)

    def env(self, url=None, client="alpha", backend=None, faketime=None, lockdir=None):
        env = {k: v for k, v in os.environ.items() if not k.startswith("ENTITLE_")}
        env.update({"ENTITLE_BASE_URL": url if url is not None else self.vendor.url,
                    "ENTITLE_CLIENT_ID": client, "ENTITLE_CLIENT_SECRET": client + "-secret",
                    "ENTITLE_LOCK_DIR": lockdir or self.lockdir, "NO_COLOR": "1"})
        if backend:
            env["ENTITLE_BACKEND"] = backend
        if faketime:
            env.update({"LD_PRELOAD": FAKETIME_LIB, "FAKETIME": faketime,
                        "FAKETIME_DONT_FAKE_MONOTONIC": "1"})
        return env

    def _describe(self, label, args, cwd, env):
        shown = {k: v for k, v in env.items()
                 if k.startswith("ENTITLE_") or k.startswith("FAKETIME") or k == "LD_PRELOAD"}
        shown.pop("ENTITLE_CLIENT_SECRET", None)
        self.note(f"[{label}] cd {cwd} && " + " ".join(f"{k}={v!r}" for k, v in sorted(shown.items()))
                  + " " + " ".join(args))

    def run(self, label, args, cwd, timeout=180, **envkw):
        env = self.env(**envkw)
        cmd = [OPTS.bin] + args
        self._describe(label, cmd, cwd, env)
        t0 = time.time()
        try:
            r = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True,
                               timeout=timeout, stdin=subprocess.DEVNULL)
            rc, out, err = r.returncode, r.stdout, r.stderr
        except subprocess.TimeoutExpired as e:
            rc, out, err = "TIMEOUT", _s(e.stdout), _s(e.stderr)
        self.note(f"[{label}] exit {rc} after {time.time() - t0:.1f}s\n--- stdout\n{out}--- stderr\n{err}---")
        self.codes.append(f"{label}={rc}")
        return rc, out, err

    def start(self, label, args, cwd, **envkw):
        env = self.env(**envkw)
        cmd = [OPTS.bin] + args
        self._describe(label + " (background)", cmd, cwd, env)
        out = open(os.path.join(self.dir, f"{label}.stdout"), "w")
        err = open(os.path.join(self.dir, f"{label}.stderr"), "w")
        p = subprocess.Popen(cmd, cwd=cwd, env=env, stdout=out, stderr=err, stdin=subprocess.DEVNULL)
        p.label = label
        return p

    def finish(self, p, timeout=120):
        try:
            rc = p.wait(timeout)
        except subprocess.TimeoutExpired:
            p.kill()
            rc = "TIMEOUT"
        if isinstance(rc, int) and rc < 0:
            rc = f"SIG{signal.Signals(-rc).name[3:]}"
        out = open(os.path.join(self.dir, f"{p.label}.stdout")).read()
        err = open(os.path.join(self.dir, f"{p.label}.stderr")).read()
        self.note(f"[{p.label}] exit {rc}\n--- stdout\n{out}--- stderr\n{err}---")
        self.codes.append(f"{p.label}={rc}")
        return rc, out, err

    def expect_rc(self, label, rc, want):
        wants = want if isinstance(want, (list, tuple, set)) else [want]
        return self.check(rc in wants, f"{label}: exit {rc}, expected {'/'.join(map(str, wants))}")

    def snapshot(self, when, exact=None, keys=EXPECTED_KEYS):
        """Read the vendor's orders; never more than one per (PBX, operation)."""
        c = self.vendor.counts()
        self.counts = c
        self.note(f"orders after {when}: {dict(c)}")
        for k, n in c.items():
            self.check(n <= 1, f"DUPLICATE after {when}: {n} orders for {k[0]} {k[1]}")
        if exact is not None:
            for k in keys:
                self.check(c.get(k, 0) == exact, f"after {when}: {c.get(k, 0)} orders for {k[0]} {k[1]}, expected {exact}")
        return c

    def close(self):
        if self.vendor:
            if not self.counts:
                try:
                    self.counts = self.vendor.counts()
                except Exception:
                    pass
            try:
                self.vendor.release()
            except Exception:
                pass
            self.vendor.stop()
        self.log.close()


def _s(b):
    if b is None:
        return ""
    return b.decode(errors="replace") if isinstance(b, bytes) else b


def apply_args(*extra):
    return ["apply", "m", "--auto-approve", "--no-price", *extra]


def kill_at_first_commit(c, ws, **envkw):
    """Start an apply, hold its first order save after the commit, SIGKILL the client there."""
    c.vendor.hold("after_commit", 0)
    p = c.start("apply#1", apply_args(), ws, **envkw)
    c.vendor.wait_held()
    p.send_signal(signal.SIGKILL)
    rc, _, _ = c.finish(p)
    c.expect_rc("apply#1", rc, "SIGKILL")
    time.sleep(0.3)
    c.vendor.release()
    time.sleep(0.3)
    return c.snapshot("the SIGKILL")


def journal_entries(ws):
    path = os.path.join(ws, ".entitle", "journal.jsonl")
    out = []
    if os.path.exists(path):
        for line in open(path):
            line = line.strip()
            if line:
                try:
                    out.append(json.loads(line))
                except ValueError:
                    pass
    return out


# ---------------------------------------------------------------------------------------------
# conditions


def c0(c):
    """Smoke: the four example manifests against this simulator."""
    c.vendor = Vendor(c)
    ws = c.workspace("ws")
    shutil.copytree(os.path.join(REPO, "manifests", "examples"), os.path.join(ws, "ex"))
    rc, out, _ = c.run("plan", ["plan", "ex"], ws)
    c.expect_rc("plan", rc, 0)
    rc, out, _ = c.run("apply", ["apply", "ex", "--auto-approve", "--no-price"], ws)
    c.expect_rc("apply", rc, 0)
    keys = [("3651D3296882", "purchase_service"), ("3631E0997265", "switch_plan"),
            ("369471667338", "purchase_plan"), ("3658B431119665QJ", "renew_plan")]
    c.snapshot("apply", exact=1, keys=keys)
    c.check(len(c.vendor.status()["autoRenewSwitches"]) == 1, "expected one auto-renew switch")
    rc, out, _ = c.run("plan-again", ["plan", "ex", "--no-price", "--detailed-exitcode"], ws)
    c.expect_rc("plan-again", rc, 0)
    c.snapshot("plan-again", exact=1, keys=keys)


def skew(c, offset):
    c.vendor = Vendor(c, OPTS.lag, OPTS.lag, echo=False)
    ws = c.workspace("ws")
    kill_at_first_commit(c, ws)
    rc, out, err = c.run(f"apply+{offset}", apply_args(), ws, faketime="+" + offset)
    c.expect_rc(f"apply+{offset}", rc, 6)
    c.snapshot(f"apply+{offset}")
    rc, out, err = c.run(f"plan+{offset}", ["plan", "m", "--no-price"], ws, faketime="+" + offset)
    c.expect_rc(f"plan+{offset}", rc, 6)
    c.vendor.wait_lag()
    rc, out, err = c.run(f"apply+{offset}-after-lag", apply_args(), ws, faketime="+" + offset)
    c.expect_rc(f"apply+{offset}-after-lag", rc, 0)
    rc, out, err = c.run("apply-real-clock", apply_args(), ws)
    c.expect_rc("apply-real-clock", rc, 0)
    c.snapshot("convergence", exact=1)


def c1a(c):
    skew(c, "11m")


def c1b(c):
    skew(c, "1d")


def need_pg():
    if not PG.ok:
        raise Skip("PostgreSQL: " + (PG.why or "not started"))


def c2(c):
    """URL spellings from other directories, shared PostgreSQL backend."""
    need_pg()
    db = PG.createdb(c.name)
    c.vendor = Vendor(c, OPTS.lag, OPTS.lag, echo=False)
    p = c.vendor.port
    ws = c.workspace("dirA")
    kill_at_first_commit(c, ws, backend=db)
    spellings = [("upper", f"HTTP://127.0.0.1:{p}"), ("short", f"http://127.1:{p}"),
                 ("slash", f"http://127.0.0.1:{p}/")]
    for label, url in spellings:
        d = c.workspace("dir-" + label)
        rc, _, _ = c.run(f"apply[{label}]", apply_args(), d, url=url, backend=db)
        c.expect_rc(f"apply[{label}] {url}", rc, 6)
        c.snapshot(f"apply[{label}]")
    d = c.workspace("dir-newline")
    for cmd in ("plan", "apply"):
        args = apply_args() if cmd == "apply" else ["plan", "m", "--no-price"]
        rc, out, err = c.run(f"{cmd}[newline]", args, d, url=f"http://127.0.0.1:{p}\n", backend=db)
        c.expect_rc(f"{cmd}[newline]", rc, 1)
    c.snapshot("newline URL")
    c.vendor.wait_lag()
    rc, _, _ = c.run("apply[upper]-after-lag", apply_args(), os.path.join(c.dir, "dir-upper"),
                     url=f"HTTP://127.0.0.1:{p}", backend=db)
    c.expect_rc("apply[upper]-after-lag", rc, 0)
    rc, _, _ = c.run("apply[A]-after-lag", apply_args(), ws, backend=db)
    c.expect_rc("apply[A]-after-lag", rc, 0)
    c.snapshot("convergence", exact=1)


def c2b(c):
    """URL spellings in the same directory, file backend."""
    c.vendor = Vendor(c, OPTS.lag, OPTS.lag, echo=False)
    p = c.vendor.port
    ws = c.workspace("ws")
    kill_at_first_commit(c, ws)
    for label, url in [("upper", f"HTTP://127.0.0.1:{p}"), ("short", f"http://127.1:{p}"),
                       ("slash", f"http://127.0.0.1:{p}/")]:
        rc, _, _ = c.run(f"apply[{label}]", apply_args(), ws, url=url)
        c.expect_rc(f"apply[{label}] {url}", rc, 6)
        c.snapshot(f"apply[{label}]")
    rc, _, _ = c.run("apply[newline]", apply_args(), ws, url=f"http://127.0.0.1:{p}\n")
    c.expect_rc("apply[newline]", rc, 1)
    c.vendor.wait_lag()
    rc, _, _ = c.run("apply[short]-after-lag", apply_args(), ws, url=f"http://127.1:{p}")
    c.expect_rc("apply[short]-after-lag", rc, 0)
    c.snapshot("convergence", exact=1)


SPELLINGS_X = [
    ("localhost", "http://localhost:{p}"),
    ("hex", "http://0x7f.1:{p}"),
    ("octal", "http://0177.0.0.1:{p}"),
    ("port0", "http://127.0.0.1:0{p}"),
    ("ipdot", "http://127.0.0.1.:{p}"),
    ("dotseg", "http://127.0.0.1:{p}/."),
    ("dslash", "http://127.0.0.1:{p}//"),
]


def spelling_x(c, label, template):
    """Extra: another spelling of the base URL, from another directory, PostgreSQL backend,
    while the first apply's order is in doubt (lag, no echo)."""
    need_pg()
    db = PG.createdb(c.name.replace("-", "_"))
    c.vendor = Vendor(c, OPTS.lag, OPTS.lag, echo=False)
    url = template.format(p=c.vendor.port)
    ws = c.workspace("dirA")
    kill_at_first_commit(c, ws, backend=db)
    d = c.workspace("dir-" + label)
    rc, out, err = c.run(f"apply[{url}]", apply_args(), d, url=url, backend=db)
    c.check(rc in (1, 6), f"apply[{url}]: exit {rc}, expected 6 (same account) or 1 (refused)")
    c.snapshot(f"apply[{url}]")


def terminated_lock(c, phase):
    need_pg()
    db = PG.createdb(c.name)
    dbname = db.rsplit("/", 1)[1]
    c.vendor = Vendor(c)                 # the obliging vendor: echo, no lag
    wa, wb = c.workspace("dirA"), c.workspace("dirB")
    c.vendor.hold(phase, 1)              # the 2nd order save
    pa = c.start("apply-A", apply_args(), wa, backend=db)
    c.vendor.wait_held()
    q = "FROM pg_stat_activity WHERE application_name='entitle lock'"
    sessions = PG.sql(dbname, f"SELECT count(*) {q}")
    c.note(f"lock sessions: {sessions}")
    c.check(sessions not in ("", "0"), "no session with application_name='entitle lock' found")
    PG.sql(dbname, f"SELECT pg_terminate_backend(pid) {q}")
    time.sleep(0.5)
    rc_b, out_b, err_b = c.run("apply-B", apply_args(), wb, backend=db, timeout=120)
    c.expect_rc("apply-B", rc_b, 0 if phase == "after_commit" else 6)
    c.snapshot("apply-B")
    c.vendor.release()
    rc_a, out_a, err_a = c.finish(pa)
    c.check(rc_a not in (0, "TIMEOUT"), f"apply-A exited {rc_a} after losing its lock; expected non-zero")
    c.check(re.search(r"lock", out_a + err_a, re.I) is not None,
            "apply-A did not say it lost its lock")
    c.snapshot("apply-A ended")
    c.note("entitle_journal:\n" + PG.sql(dbname, "SELECT * FROM entitle_journal ORDER BY 1"))
    rc, _, _ = c.run("apply-B-again", apply_args(), wb, backend=db)
    c.expect_rc("apply-B-again", rc, 0)
    c.snapshot("convergence", exact=1)


def terminated_lock3(c, lag):
    """Three PBXs, the first apply one request at a time (--parallelism 1): its 2nd save is held
    after the commit, its lock session terminated, a second apply runs to completion; released,
    the first must not order for the 3rd PBX."""
    need_pg()
    db = PG.createdb(c.name)
    c.vendor = Vendor(c, lag, lag, echo=not lag)
    wa, wb = c.workspace("dirA", MANIFEST3), c.workspace("dirB", MANIFEST3)
    c.vendor.hold("after_commit", 1)
    pa = c.start("apply-A", apply_args("--parallelism", "1"), wa, backend=db)
    c.vendor.wait_held()
    q = "FROM pg_stat_activity WHERE application_name='entitle lock'"
    c.check(PG.sql(c.name, f"SELECT count(*) {q}") not in ("", "0"), "no 'entitle lock' session found")
    PG.sql(c.name, f"SELECT pg_terminate_backend(pid) {q}")
    time.sleep(0.5)
    rc_b, _, _ = c.run("apply-B", apply_args(), wb, backend=db, timeout=120)
    c.expect_rc("apply-B", rc_b, 6 if lag else 0)
    c.snapshot("apply-B", keys=EXPECTED_KEYS3)
    c.vendor.release()
    rc_a, out_a, err_a = c.finish(pa)
    c.check(rc_a not in (0, "TIMEOUT"), f"apply-A exited {rc_a} after losing its lock; expected non-zero")
    said = re.search(r"lost (its|the account's) lock", out_a + err_a, re.I)
    if not said and re.search(r"someone else acted", out_a):
        c.info("apply-A did not say it lost its lock; it skipped the PBX B ordered for as "
               "'someone else acted' (seen in the order list) and exited " + str(rc_a))
    else:
        c.check(said is not None, "apply-A did not say it lost its lock")
    c.snapshot("apply-A ended", keys=EXPECTED_KEYS3)
    c.note("entitle_journal:\n" + PG.sql(c.name, "SELECT * FROM entitle_journal ORDER BY 1"))
    if lag:
        c.vendor.wait_lag()
    rc, _, _ = c.run("apply-B-again", apply_args(), wb, backend=db)
    c.expect_rc("apply-B-again", rc, 0)
    c.snapshot("convergence", exact=1, keys=EXPECTED_KEYS3)


def c3c(c):
    terminated_lock3(c, 0)


def c3d(c):
    terminated_lock3(c, OPTS.lag)


def c3a(c):
    terminated_lock(c, "after_commit")


def c3b(c):
    terminated_lock(c, "before_commit")


def fault_after_commit(c, kind, echo, lag, expect_first, expect_second):
    c.vendor = Vendor(c, lag, lag, echo=echo)
    ws = c.workspace("ws")
    c.vendor.fault(kind, 0)
    rc, out, err = c.run("apply#1", apply_args(), ws)
    c.expect_rc("apply#1", rc, expect_first)
    c.snapshot("apply#1")
    rc, out, err = c.run("apply#2", apply_args(), ws)
    c.expect_rc("apply#2", rc, expect_second)
    c.snapshot("apply#2")
    if lag:
        c.vendor.wait_lag()
    rc, out, err = c.run("apply#3", apply_args(), ws)
    c.expect_rc("apply#3", rc, 0)
    c.snapshot("convergence", exact=1)


def c4a(c):
    fault_after_commit(c, "token_expired", True, 0, 5, 0)


def c4b(c):
    fault_after_commit(c, "too_many_requests", False, OPTS.lag, 5, 6)


def c4c(c):
    fault_after_commit(c, "token_expired", False, OPTS.lag, 5, 6)


def c4d(c):
    """HTTP 200 with code business_rule_violation, yet the order was committed."""
    c.vendor = Vendor(c, 0, OPTS.lag, echo=False)
    ws = c.workspace("ws")
    c.vendor.fault("business_rule", 0)
    rc, out, err = c.run("apply#1", apply_args(), ws)
    c.check(rc != 0, f"apply#1 exit {rc}: the vendor refused an order, expected non-zero")
    c.snapshot("apply#1")
    rc, out, err = c.run("apply#2", apply_args(), ws)
    c.info(f"apply#2 right after a refused-but-committed order: exit {rc}")
    c.snapshot("apply#2")
    c.vendor.wait_lag()
    rc, out, err = c.run("apply#3", apply_args(), ws)
    c.expect_rc("apply#3", rc, 0)
    c.snapshot("convergence", exact=1)


def c5(c):
    c.vendor = Vendor(c, 10, 600, echo=False)
    wa, wb = c.workspace("dirA"), c.workspace("dirB")
    rc, _, _ = c.run("plan-o", ["plan", "m", "--no-price", "-o", "plan.json"], wa)
    c.expect_rc("plan-o", rc, 0)
    rc, _, _ = c.run("apply-plan[A]", ["apply", "plan.json", "--auto-approve", "--no-price"], wa)
    c.expect_rc("apply-plan[A]", rc, 0)
    c.snapshot("apply in A", exact=1)
    shutil.copy(os.path.join(wa, "plan.json"), os.path.join(wb, "plan.json"))
    orders = c.vendor.orders()
    due = max(o["createTime"] for o in orders) / 1000 + 10 + 2
    if due > time.time():
        c.note(f"waiting {due - time.time():.0f}s for the list lag")
        time.sleep(due - time.time())
    rc, out, err = c.run("apply-plan[B]", ["apply", "plan.json", "--auto-approve", "--no-price"], wb)
    c.expect_rc("apply-plan[B]", rc, 3)
    c.snapshot("apply in B", exact=1)
    rc, out, err = c.run("apply-plan[A]-again", ["apply", "plan.json", "--auto-approve", "--no-price"], wa)
    c.expect_rc("apply-plan[A]-again", rc, 3)
    c.snapshot("replay in A", exact=1)


def c6(c):
    c.vendor = Vendor(c)
    ws = c.workspace("ws")
    rc, _, _ = c.run("plan-o[alpha]", ["plan", "m", "--no-price", "-o", "plan.json"], ws, client="alpha")
    c.expect_rc("plan-o[alpha]", rc, 0)
    rc, out, err = c.run("apply-plan[beta]", ["apply", "plan.json", "--auto-approve", "--no-price"], ws, client="beta")
    c.expect_rc("apply-plan[beta]", rc, 3)
    c.snapshot("apply with the other client", exact=0)
    rc, _, _ = c.run("apply-plan[alpha]", ["apply", "plan.json", "--auto-approve", "--no-price"], ws, client="alpha")
    c.expect_rc("apply-plan[alpha]", rc, 0)
    c.snapshot("apply with the planning client", exact=1)


def c7(c):
    c.vendor = Vendor(c)
    ws = c.workspace("ws")
    c.vendor.hold("before_commit", 0)
    p = c.start("apply#1", apply_args("--parallelism", "1"), ws)
    c.vendor.wait_held()
    p.send_signal(signal.SIGTERM)
    time.sleep(1.5)
    c.check(p.poll() is None, "entitle exited before its order in flight finished")
    c.check(not c.vendor.orders(), "an order was committed while the save was held before its commit")
    c.vendor.release()
    rc, out, err = c.finish(p)
    c.expect_rc("apply#1 (SIGTERM)", rc, 143)
    c.snapshot("SIGTERM")
    total = sum(c.counts.values())
    c.check(total == 1, f"{total} orders after SIGTERM; expected exactly the one in flight")
    last = {}
    for e in journal_entries(ws):
        if e.get("po_number"):
            last[e["po_number"]] = e.get("state")
    sent = [o["poNumber"] for o in c.vendor.orders()]
    c.note(f"journal states: {last}")
    for po in sent:
        c.check(last.get(po) not in (None, "sending"),
                f"journal leaves {po} in state {last.get(po)!r} after the SIGTERM")
    c.check("sending" not in last.values(), f"journal has entries left `sending`: {last}")
    rc, out, err = c.run("apply#2", apply_args(), ws)
    c.expect_rc("apply#2", rc, 0)
    c.snapshot("convergence", exact=1)


def c8(c):
    c.vendor = Vendor(c)
    ws = c.workspace("ws")
    c.vendor.hold("before_commit", 0)
    c.vendor.fault("internal_error", 0)
    rcfile = os.path.join(c.dir, "pipestatus")
    script = (f"{OPTS.bin} apply m --auto-approve --no-price 2>{c.dir}/apply#1.stderr | head -n 3 "
              f">{c.dir}/apply#1.head; echo \"${{PIPESTATUS[0]}} ${{PIPESTATUS[1]}}\" > {rcfile}")
    env = c.env()
    c._describe("apply#1 | head -n 3", ["bash", "-c", script], ws, env)
    p = subprocess.Popen(["bash", "-c", script], cwd=ws, env=env, stdin=subprocess.DEVNULL)
    c.vendor.wait_held()
    time.sleep(2)           # head has its 3 lines of the plan by now and has exited
    c.vendor.release()
    try:
        p.wait(120)
    except subprocess.TimeoutExpired:
        p.kill()
    statuses = open(rcfile).read().split() if os.path.exists(rcfile) else ["?"]
    rc = int(statuses[0]) if statuses[0].isdigit() else statuses[0]
    c.note(f"PIPESTATUS {statuses}; head got:\n{open(c.dir + '/apply#1.head').read()}"
           f"stderr:\n{open(c.dir + '/apply#1.stderr').read()}")
    c.codes.append(f"apply|head={rc}")
    c.expect_rc("apply | head -n 3 (PIPESTATUS[0])", rc, 5)
    c.snapshot("the broken pipe")
    rc, out, err = c.run("apply#2", apply_args(), ws)
    c.expect_rc("apply#2", rc, 0)
    c.snapshot("convergence", exact=1)


def tree(d):
    out = {}
    for root, dirs, files in os.walk(d):
        for n in dirs + files:
            pth = os.path.join(root, n)
            st = os.lstat(pth)
            out[os.path.relpath(pth, d)] = (stat.S_IFMT(st.st_mode), st.st_size)
    return out


def c9a(c):
    c.vendor = Vendor(c)
    ws = c.workspace("ws")
    lockdir = os.path.join(c.dir, "open-locks")
    os.makedirs(lockdir)
    os.chmod(lockdir, 0o777)
    rc, out, err = c.run("apply[lockdir 0777]", apply_args(), ws, lockdir=lockdir)
    c.expect_rc("apply[lockdir 0777]", rc, 1)
    c.check(os.listdir(lockdir) == [], f"files were created in the world-writable lock dir: {os.listdir(lockdir)}")
    c.check(stat.S_IMODE(os.stat(lockdir).st_mode) == 0o777, "the lock dir's mode was changed")
    c.snapshot("apply", exact=0)
    os.chmod(lockdir, 0o1777)
    rc, out, err = c.run("apply[lockdir 1777]", apply_args(), ws, lockdir=lockdir)
    c.expect_rc("apply[lockdir 1777]", rc, 1)
    c.snapshot("apply", exact=0)


def c9b(c):
    c.vendor = Vendor(c)
    ws = c.workspace("ws")
    victim = os.path.join(c.dir, "victim.txt")
    content = "precious data that must not change\n"
    with open(victim, "w") as f:
        f.write(content)
    os.makedirs(os.path.join(ws, ".entitle"))
    os.symlink(victim, os.path.join(ws, ".entitle", "journal.jsonl.lock"))
    rc, out, err = c.run("apply[planted journal lock]", apply_args(), ws)
    c.expect_rc("apply[planted journal lock]", rc, 1)
    c.check(open(victim).read() == content, "the victim file changed")
    c.check(os.path.islink(os.path.join(ws, ".entitle", "journal.jsonl.lock")), "the symlink was replaced")
    c.snapshot("apply", exact=0)


def c9c(c):
    c.vendor = Vendor(c)
    ws = c.workspace("ws")
    # learn the account lock's name from a no-op apply (the manifest asks what the PBX has)
    noop = c.workspace("noop")
    with open(os.path.join(noop, "m", "test.yaml"), "w") as f:
        f.write(f"version: 1\npbxs:\n  - sn: {PBX_A}\n    product: software-edition\n    extensions: 100\n")
    rc, _, _ = c.run("apply[no-op]", apply_args(), noop)
    c.expect_rc("apply[no-op]", rc, 0)
    names = [n for n in os.listdir(c.lockdir) if n.endswith(".lock")]
    c.note(f"lock dir after a no-op apply: {names}")
    if not names:
        raise Skip("a no-op apply left no lock file to learn the account lock's name from")
    victim = os.path.join(c.dir, "victim.txt")
    content = "precious data that must not change\n"
    with open(victim, "w") as f:
        f.write(content)
    for n in names:
        os.unlink(os.path.join(c.lockdir, n))
        os.symlink(victim, os.path.join(c.lockdir, n))
    rc, out, err = c.run("apply[planted account lock]", apply_args(), ws)
    c.expect_rc("apply[planted account lock]", rc, 1)
    c.check(open(victim).read() == content, "the victim file changed")
    c.snapshot("apply", exact=0)


def c10(c):
    d = c.workspace("ws")
    os.mkfifo(os.path.join(d, "m.yaml"))
    os.makedirs(os.path.join(d, "fifodir"))
    os.mkfifo(os.path.join(d, "fifodir", "x.yaml"))
    env = {"url": "http://127.0.0.1:9"}   # nothing listens: the manifests must fail first
    rc, out, err = c.run("validate m.yaml(fifo)", ["validate", "m.yaml"], d, timeout=20, **env)
    c.expect_rc("validate m.yaml(fifo)", rc, 1)
    rc, out, err = c.run("plan m.yaml(fifo)", ["plan", "m.yaml", "--no-price"], d, timeout=20, **env)
    c.expect_rc("plan m.yaml(fifo)", rc, 1)
    rc, out, err = c.run("validate fifodir/", ["validate", "fifodir"], d, timeout=20, **env)
    c.check(rc != "TIMEOUT", "validate of a directory holding a FIFO hung")
    rc, out, err = c.run("validate /dev/zero", ["validate", "/dev/zero"], d, timeout=20, **env)
    c.expect_rc("validate /dev/zero", rc, 1)


CONDITIONS = [
    ("c0", c0, "smoke: the 4 example manifests converge on this simulator",
     "plan 0, apply 0 (4 orders + 1 auto-renew), plan --detailed-exitcode 0"),
    ("c1a", c1a, "clock skew +11m after SIGKILL past the commit (lag, no echo)",
     "SIGKILL; +11m apply 6, plan 6; after lag +11m apply 0; one order each"),
    ("c1b", c1b, "clock skew +1d after SIGKILL past the commit (lag, no echo)",
     "SIGKILL; +1d apply 6, plan 6; after lag +1d apply 0; one order each"),
    ("c2", c2, "URL spellings from other dirs, PostgreSQL backend (lag, no echo)",
     "6 for HTTP://, 127.1, trailing /; 1 for trailing newline; 0 after lag; one order each"),
    ("c2b", c2b, "URL spellings, same dir, file backend (lag, no echo)",
     "6 for each spelling; 1 for trailing newline; 0 after lag; one order each"),
    ("c3a", c3a, "PostgreSQL lock session terminated, 2nd save held after commit",
     "B 0; A non-zero saying it lost its lock; one order each"),
    ("c3b", c3b, "PostgreSQL lock session terminated, 2nd save held before commit",
     "B 6; A non-zero saying it lost its lock; B again 0; one order each"),
    ("c3c", c3c, "PostgreSQL lock terminated, 3 PBXs, A one request at a time, 2nd save held after commit",
     "B 0; A sends nothing more, non-zero, says it lost its lock; one order each"),
    ("c3d", c3d, "as c3c on a lagging vendor without echo",
     "B 6; A sends nothing more, non-zero, says it lost its lock; after lag 0; one order each"),
    ("c4a", c4a, "401 token_expired after commit (echo, no lag)", "5, then 0; one order each"),
    ("c4b", c4b, "429 after commit (no echo, lag)", "5, then 6, after lag 0; one order each"),
    ("c4c", c4c, "401 token_expired after commit (no echo, lag)", "5, then 6, after lag 0; one order each"),
    ("c4d", c4d, "HTTP 200 business_rule_violation after commit (no echo, effect lag)",
     "non-zero, then (informational), after lag 0; one order each"),
    ("c5", c5, "saved plan replayed from a second checkout (no echo, list lag 10s, effect lag 600s)",
     "A 0; B 3 once the order lists; A again 3; one order each"),
    ("c6", c6, "saved plan applied with another client ID", "3 and no order; the planner's client 0"),
    ("c7", c7, "SIGTERM while the first save is held before commit (--parallelism 1)",
     "143; exactly the held order; no `sending` left; re-run 0"),
    ("c8", c8, "apply | head -n 3 with a 500 after commit", "PIPESTATUS[0] 5; re-run 0"),
    ("c9a", c9a, "world-writable lock dir (0777, 1777)", "1, nothing created, no order"),
    ("c9b", c9b, "symlink planted at .entitle/journal.jsonl.lock", "1, victim unchanged, no order"),
    ("c9c", c9c, "symlink planted at the account lock in ENTITLE_LOCK_DIR", "1, victim unchanged, no order"),
    ("c10", c10, "FIFO (and /dev/zero) as a manifest", "1 promptly (timeout 20)"),
] + [
    (f"x-{label}", (lambda c, l=label, t=tpl: spelling_x(c, l, t)),
     f"extra: base URL {tpl.format(p='PORT')} from another dir while in doubt, PostgreSQL",
     "6 (same account) or 1 (refused); no duplicate")
    for label, tpl in SPELLINGS_X
]


def fmt_counts(c):
    short = {PBX_A: "A", PBX_B: "B", PBX_C: "C"}
    if not c:
        return "none"
    return ", ".join(f"{short.get(sn, sn)}/{op}={n}" for (sn, op), n in sorted(c.items()))


def main():
    global OPTS, WORK
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--bin", default=os.path.join(REPO, "target", "debug", "entitle"))
    ap.add_argument("--lag", type=float, default=15.0)
    ap.add_argument("--only")
    ap.add_argument("--keep", action="store_true")
    ap.add_argument("--list", action="store_true")
    OPTS = ap.parse_args()
    if OPTS.list:
        for name, _, title, expect in CONDITIONS:
            print(f"{name:5} {title}\n      expect: {expect}")
        return 0
    if not os.access(OPTS.bin, os.X_OK):
        print(f"no entitle binary at {OPTS.bin}: run `cargo build` first", file=sys.stderr)
        return 2
    selected = [x for x in CONDITIONS if not OPTS.only or x[0] in OPTS.only.split(",")]
    WORK = tempfile.mkdtemp(prefix="entitle-indep-")
    print(f"work dir and logs: {WORK}", flush=True)
    # Test a private copy: another build in the repository must not swap the binary mid-run.
    snap = os.path.join(WORK, "entitle")
    shutil.copy2(OPTS.bin, snap)
    import hashlib
    digest = hashlib.sha256(open(snap, "rb").read()).hexdigest()[:16]
    built = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(os.stat(OPTS.bin).st_mtime))
    print(f"binary {OPTS.bin} (built {built}, sha256 {digest}...), copied to {snap}", flush=True)
    OPTS.bin = snap
    if any(n in ("c2", "c3a", "c3b", "c3c", "c3d") or n.startswith("x-") for n, *_ in selected):
        if PG.start():
            print(f"PostgreSQL on port {PG.port} ({PG.dir})", flush=True)
        else:
            print(f"PostgreSQL not available: {PG.why}", flush=True)
    rows = []
    t_all = time.time()
    try:
        for name, fn, title, expect in selected:
            c = Cond(name, title, expect)
            t0 = time.time()
            if name in ("c1a", "c1b") and not os.path.exists(FAKETIME_LIB):
                c.skipped = f"{FAKETIME_LIB} not found"
            else:
                try:
                    fn(c)
                except Skip as e:
                    c.skipped = str(e)
                except Exception:
                    c.failures.append("driver error: " + traceback.format_exc().strip().splitlines()[-1])
                    c.note(traceback.format_exc())
            c.close()
            dup = any(n > 1 for n in c.counts.values())
            if c.skipped:
                verdict = "SKIPPED: " + c.skipped
            elif dup:
                verdict = "FAIL (DUPLICATE)"
            elif c.failures:
                verdict = "FAIL"
            else:
                verdict = "PASS"
            rows.append((name, title, fmt_counts(c.counts), " ".join(c.codes), verdict, c.failures,
                         c.infos, time.time() - t0, expect))
            print(f"{name:5} {verdict:18} {time.time() - t0:5.1f}s  {title}", flush=True)
    finally:
        PG.stop()
    print()
    print(f"A = {PBX_A} (100 -> 300 extensions + Hotel PMS), B = {PBX_B} (50 -> 100 extensions), "
          f"C = {PBX_C} (20 -> 40 extensions, 3-PBX conditions only)")
    print()
    w = max(len(r[0]) for r in rows)
    print(f"{'cond':{w}}  {'verdict':18}  {'orders per (PBX, operation)':34}  exit codes")
    print(f"{'-' * w}  {'-' * 18}  {'-' * 34}  {'-' * 10}")
    for name, title, counts, codes, verdict, failures, infos, secs, expect in rows:
        print(f"{name:{w}}  {verdict:18}  {counts:34}  {codes}")
    print()
    for name, title, counts, codes, verdict, failures, infos, secs, expect in rows:
        print(f"{name}: {title}")
        print(f"    expected: {expect}")
        for f in failures:
            print(f"    FAIL: {f}")
        for i in infos:
            print(f"    info: {i}")
    print(f"\ntotal {time.time() - t_all:.0f}s; logs in {WORK}")
    failed = [r for r in rows if r[4].startswith("FAIL")]
    if not failed and not OPTS.keep:
        shutil.rmtree(WORK, ignore_errors=True)
        print("(all passed: work dir removed; --keep keeps it)")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
