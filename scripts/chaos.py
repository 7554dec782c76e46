"""Chaos run (`make chaos`): submit visits through the API while the worker is SIGKILLed, Redis
restarts and PostgreSQL restarts; then drain and count what went wrong. Loopback only, bounded in
requests and time; stops by itself.

Reports (all must be 0):
- accepted visits missing from the database;
- visits stored but never accepted (a retried POST filed twice; every POST carries an
  Idempotency-Key, resent with its retries);
- visits without a decision;
- visits with more than one decision answering their submission;
- visits whose stored outcome differs from an offline evaluation of their stored document.
Requests refused while PostgreSQL restarts must be clear 503s (counted, not failures); the
client retries them, as a real one would.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PY = sys.executable
DB_NAME = "dispatch_chaos"
DB_URL = f"postgres://postgres@127.0.0.1:5432/{DB_NAME}"
REDIS_URL = "redis://127.0.0.1:6379/14"
LOG_DIR = ROOT / "var" / "chaos"


def log(msg: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {msg}", flush=True)


def env() -> dict[str, str]:
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.local",
        "DJANGO_DEBUG": "0",
        "DATABASE_URL": DB_URL,
        "REDIS_URL": REDIS_URL,
        "COMPLIANCE_SWEEP_AFTER_MINUTES": "1",
        "CELERY_VISIBILITY_TIMEOUT": "20",
        "API_TOKEN_THROTTLE": "1000/min",
        "LOG_LEVEL": "WARNING",
        "DB_CONN_MAX_AGE": "60",
    }


def run(*args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    return subprocess.run(args, cwd=ROOT, env=env(), check=check, capture_output=True, text=True)


def manage(*args: str) -> str:
    return run(PY, "manage.py", *args).stdout


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Proc:
    def __init__(self, name: str, args: list[str]) -> None:
        self.name, self.args, self.proc = name, args, None

    def start(self) -> None:
        LOG_DIR.mkdir(parents=True, exist_ok=True)
        out = open(LOG_DIR / f"{self.name}.log", "ab")  # noqa: SIM115
        self.proc = subprocess.Popen(
            self.args,
            cwd=ROOT,
            env=env(),
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def kill(self, sig: int = signal.SIGKILL) -> None:
        if self.proc and self.proc.poll() is None:
            os.killpg(self.proc.pid, sig)
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)


def restart_redis() -> None:
    log("chaos: restarting Redis")
    subprocess.run(
        ["redis-cli", "-h", "127.0.0.1", "-p", "6379", "shutdown", "nosave"], capture_output=True
    )
    time.sleep(1)
    subprocess.run(
        [
            "redis-server",
            "--daemonize",
            "yes",
            "--bind",
            "127.0.0.1",
            "--port",
            "6379",
            "--save",
            "",
            "--appendonly",
            "no",
        ],
        check=True,
        capture_output=True,
    )
    for _ in range(50):
        if (
            subprocess.run(
                ["redis-cli", "-h", "127.0.0.1", "ping"], capture_output=True, text=True
            ).stdout.strip()
            == "PONG"
        ):
            return
        time.sleep(0.2)


def restart_postgres() -> None:
    log("chaos: restarting PostgreSQL")
    version = sorted(os.listdir("/etc/postgresql"))[-1]
    subprocess.run(
        ["pg_ctlcluster", "--skip-systemctl-redirect", version, "main", "restart", "-m", "fast"],
        check=True,
        capture_output=True,
    )
    for _ in range(100):
        if subprocess.run(["pg_isready", "-h", "127.0.0.1", "-q"]).returncode == 0:
            return
        time.sleep(0.2)


def http(
    method: str,
    url: str,
    body: dict | None = None,
    token: str | None = None,
    timeout: float = 15,
    idempotency_key: str | None = None,
) -> tuple[int, dict]:
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(
        url, data=data, method=method, headers={"Content-Type": "application/json"}
    )
    if token:
        req.add_header("Authorization", f"Token {token}")
    if idempotency_key:
        req.add_header("Idempotency-Key", idempotency_key)
    try:
        with urllib.request.urlopen(req, timeout=timeout) as resp:
            return resp.status, json.loads(resp.read() or b"{}")
    except urllib.error.HTTPError as exc:
        try:
            return exc.code, json.loads(exc.read() or b"{}")
        except ValueError:
            return exc.code, {}
    except (urllib.error.URLError, TimeoutError, ConnectionError, OSError) as exc:
        return 0, {"message": str(exc)}


def setup() -> dict:
    log(f"creating database {DB_NAME}")
    subprocess.run(
        ["dropdb", "-h", "127.0.0.1", "-U", "postgres", "--if-exists", DB_NAME], check=True
    )
    subprocess.run(["createdb", "-h", "127.0.0.1", "-U", "postgres", DB_NAME], check=True)
    subprocess.run(["redis-cli", "-n", "14", "flushdb"], capture_output=True)
    manage("migrate", "--noinput")
    manage("load_rulepacks")
    manage("import_sample_lists", "--verbosity", "0")
    out = run(PY, "scripts/chaos_fixture.py").stdout
    return json.loads(out.strip().splitlines()[-1])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--visits", type=int, default=1000)
    parser.add_argument("--threads", type=int, default=8)
    parser.add_argument("--drain-timeout", type=int, default=300)
    args = parser.parse_args()
    if not shutil.which("pg_ctlcluster") or not shutil.which("redis-server"):
        print("chaos needs the local PostgreSQL cluster tools and redis-server", file=sys.stderr)
        return 2
    started = time.monotonic()
    fixture = setup()
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    web = Proc(
        "web",
        [
            PY,
            "-m",
            "gunicorn",
            "config.wsgi:application",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            "2",
            "--threads",
            "4",
            "--worker-class",
            "gthread",
        ],
    )
    worker = Proc(
        "worker",
        [
            PY,
            "-m",
            "celery",
            "-A",
            "config.celery_app",
            "worker",
            "-Q",
            "compliance",
            "-c",
            "2",
            "--prefetch-multiplier",
            "1",
            "--without-gossip",
            "--without-mingle",
            "-l",
            "WARNING",
        ],
    )
    beat = Proc(
        "beat",
        [
            PY,
            "-m",
            "celery",
            "-A",
            "config.celery_app",
            "beat",
            "-l",
            "WARNING",
            "--schedule",
            str(LOG_DIR / "beat-schedule"),
        ],
    )
    for p in (web, worker, beat):
        p.start()
    try:
        for _ in range(100):
            if http("GET", f"{base}/healthz")[0] == 200:
                break
            time.sleep(0.2)
        status, body = http(
            "POST",
            f"{base}/api/v1/auth/token/",
            {"username": fixture["username"], "password": fixture["password"]},
        )
        assert status == 200, body
        token = body["token"]

        n = args.visits
        # The run is cut into six batches; each fault starts with its batch, so requests are in
        # flight (and the worker busy with the backlog) while it happens.
        faults = [
            ("kill worker", lambda: (worker.kill(), worker.start())),
            ("restart redis", restart_redis),
            ("kill worker", lambda: (worker.kill(), worker.start())),
            ("restart postgres", restart_postgres),
            ("kill worker", lambda: (worker.kill(), worker.start())),
        ]
        accepted: list[int] = []
        refused_503 = 0
        other_errors: list[str] = []
        lock = threading.Lock()

        run_id = uuid.uuid4().hex[:12]

        def submit(i: int) -> None:
            nonlocal refused_503
            body = {
                "vendor": fixture["vendor"],
                "facility": fixture["facilities"][i % len(fixture["facilities"])],
                "engineers": [fixture["engineers"][i % len(fixture["engineers"])]],
                "tools": [],
                "activity": "maintenance",
                "start_date": fixture["start"],
                "end_date": fixture["start"],
                "purpose": f"chaos {i}",
            }
            # One key per visit, resent with every retry: a POST whose answer was lost after the
            # server committed (the PostgreSQL restart) must not file the visit twice.
            key = f"chaos-{run_id}-{i}"
            for attempt in range(5):
                status, resp = http(
                    "POST", f"{base}/api/v1/visits/", body, token, idempotency_key=key
                )
                if status in (200, 201):  # 200: an earlier attempt had filed it
                    with lock:
                        accepted.append(resp["id"])
                    return
                if status in (0, 502, 503):  # unavailable: a clear answer; retry as a client would
                    with lock:
                        refused_503 += 1
                    time.sleep(1 + attempt)
                    continue
                with lock:
                    other_errors.append(f"{status}: {resp.get('message', resp)}")
                return

        log(f"submitting {n} visits with {args.threads} threads")
        batches = [list(range(j * n // 6, (j + 1) * n // 6)) for j in range(6)]
        with ThreadPoolExecutor(args.threads) as pool:
            for j, batch in enumerate(batches):
                fault = None
                if 1 <= j <= len(faults):
                    name, action = faults[j - 1]
                    log(f"chaos with batch {j + 1} of 6: {name}")
                    fault = threading.Thread(target=action)
                    fault.start()
                list(pool.map(submit, batch))
                if fault:
                    fault.join()
        log(
            f"accepted {len(accepted)}, refused with 503 {refused_503}, other errors {len(other_errors)}"
        )
        log("draining: waiting until every accepted visit has its decision")
        out = run(
            PY,
            "scripts/chaos_report.py",
            "--wait",
            str(args.drain_timeout),
            "--ids",
            ",".join(map(str, accepted)),
        ).stdout
    finally:
        for p in (web, worker, beat):
            p.kill(signal.SIGTERM)
    report = json.loads(out.strip().splitlines()[-1])
    report.update(
        {
            "submitted": args.visits,
            "accepted": len(accepted),
            "refused_503": refused_503,
            "other_errors": len(other_errors),
            "wall_seconds": round(time.monotonic() - started, 1),
        }
    )
    print(json.dumps(report, indent=2))
    for e in other_errors[:10]:
        print("  error:", e)
    report["stored_but_not_accepted"] = report["stored_visits"] - len(set(accepted))
    bad = (
        report["accepted_missing"],
        report["stored_but_not_accepted"],
        report["without_decision"],
        report["more_than_one_current_decision"],
        report["outcome_differs_from_offline_evaluation"],
        report["other_errors"],
    )
    print(
        "\nCHAOS RESULT: "
        f"visits without a decision {report['without_decision']}, "
        f"with more than one current decision {report['more_than_one_current_decision']}, "
        f"stored outcome differing from an offline evaluation {report['outcome_differs_from_offline_evaluation']}, "
        f"accepted but missing {report['accepted_missing']}, "
        f"filed twice {report['stored_but_not_accepted']}"
    )
    return 0 if not any(bad) else 1


if __name__ == "__main__":
    sys.exit(main())
