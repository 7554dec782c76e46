"""Shared plumbing of the benchmarks: configuration, Django bootstrap, real worker and web server
subprocesses, Redis queue probes, percentiles and result files.

Everything here targets 127.0.0.1 only. Every subprocess is started in its own session and
stopped by its process group id; every loop is bounded in count and time.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parents[1]
BENCH = ROOT / "bench"
RESULTS = BENCH / "results"
LOGS = ROOT / "var" / "bench"
PYTHON = sys.executable

DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/dispatch_bench"
DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/15"
QUEUE = "compliance"

if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))


def database_url() -> str:
    return os.environ.get("BENCH_DATABASE_URL", DEFAULT_DATABASE_URL)


def redis_url() -> str:
    return os.environ.get("REDIS_URL", DEFAULT_REDIS_URL)


def env_int(name: str, default: int) -> int:
    return int(os.environ.get(name, default))


def env_float(name: str, default: float) -> float:
    return float(os.environ.get(name, default))


def require_loopback(url: str) -> None:
    """Refuse to aim load at anything but this machine."""
    host = urlsplit(url).hostname or ""
    if host not in ("127.0.0.1", "localhost", "::1") and not host.startswith("127."):
        raise SystemExit(f"benchmarks only target 127.0.0.1; refusing {url!r}")


def app_env(*, eager: bool = False) -> dict[str, str]:
    """Environment of every process of the product under test (web, worker, in-process).

    Production-like: DEBUG off (no query log), e-mail to the dummy backend (no SMTP here; the
    notification is still rendered), logs at WARNING. ``DB_CONN_MAX_AGE`` is passed through
    (README, Sizing: persistent connections); the product default is 0.
    """
    require_loopback(database_url())
    require_loopback(redis_url())
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.local",
        "DJANGO_DEBUG": "0",
        "DATABASE_URL": database_url(),
        "EMAIL_BACKEND": "django.core.mail.backends.dummy.EmailBackend",
        "LOG_LEVEL": os.environ.get("BENCH_LOG_LEVEL", "WARNING"),
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1,localhost",
        "PYTHONUNBUFFERED": "1",
    }
    if eager:
        env.pop("REDIS_URL", None)
    else:
        env["REDIS_URL"] = redis_url()
    return env


def django_setup(*, eager: bool = False) -> None:
    """Configure this process like the product's processes and import Django."""
    for key, value in app_env(eager=eager).items():
        if os.environ.get(key) != value:
            os.environ[key] = value
    if eager:
        os.environ.pop("REDIS_URL", None)
    import django

    django.setup()


# --- Subprocesses ----------------------------------------------------------------------------
class Service:
    """A subprocess in its own session, logged to var/bench/<name>.log, stopped by group id."""

    def __init__(self, name: str, argv: Sequence[str], env: dict[str, str]) -> None:
        self.name = name
        self.argv = list(argv)
        self.env = env
        self.proc: subprocess.Popen[bytes] | None = None
        self.log = LOGS / f"{name}.log"

    def start(self) -> Service:
        LOGS.mkdir(parents=True, exist_ok=True)
        out = open(self.log, "ab")  # noqa: SIM115 - lives as long as the process
        self.proc = subprocess.Popen(
            self.argv,
            cwd=ROOT,
            env=self.env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        out.close()
        return self

    @property
    def pid(self) -> int:
        assert self.proc is not None
        return self.proc.pid

    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def stop(self, timeout: float = 20) -> None:
        if not self.alive():
            return
        assert self.proc is not None
        # The main process only: Celery and gunicorn then shut their children down warmly.
        os.kill(self.proc.pid, signal.SIGTERM)
        try:
            self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(timeout=10)
        with contextlib.suppress(ProcessLookupError):  # anything of the group left behind
            os.killpg(self.proc.pid, signal.SIGKILL)

    def __enter__(self) -> Service:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


class Worker(Service):
    """``celery -A config.celery_app worker -Q compliance -c 2 --prefetch-multiplier 1``."""

    def __init__(self, *, concurrency: int = 2, name: str = "worker", extra_env=None) -> None:
        self.concurrency = concurrency
        self.hostname = f"{name}-{os.getpid()}@bench"
        env = {**app_env(), **(extra_env or {})}
        super().__init__(
            name,
            [
                PYTHON,
                "-m",
                "celery",
                "-A",
                "config.celery_app",
                "worker",
                "-Q",
                QUEUE,
                "-c",
                str(concurrency),
                "--prefetch-multiplier",
                "1",
                "--without-gossip",
                "--without-mingle",
                "-n",
                self.hostname,
            ],
            env,
        )

    def pool_pids(self) -> list[int]:
        """The pool processes (children of the worker's main process)."""
        import psutil

        try:
            parent = psutil.Process(self.pid)
            return [c.pid for c in parent.children(recursive=False)]
        except psutil.NoSuchProcess:
            return []

    def wait_ready(self, timeout: float = 60) -> None:
        """Until the main process answers a ping and the pool processes exist."""
        from config.celery_app import app

        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if not self.alive():
                raise RuntimeError(f"worker exited; see {self.log}")
            replies = app.control.ping(destination=[self.hostname], timeout=0.5) or []
            if replies and len(self.pool_pids()) >= self.concurrency:
                return
            time.sleep(0.2)
        raise RuntimeError(f"worker not ready after {timeout}s; see {self.log}")

    def cancel_consumer(self) -> None:
        from config.celery_app import app

        app.control.cancel_consumer(QUEUE, destination=[self.hostname], reply=True, timeout=5)

    def add_consumer(self) -> None:
        from config.celery_app import app

        app.control.add_consumer(QUEUE, destination=[self.hostname], reply=True, timeout=5)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class WebServer(Service):
    """gunicorn serving config.wsgi on 127.0.0.1 (threads: the views wait on PostgreSQL).

    Processes and threads: ``BENCH_WEB_WORKERS`` (2, one per core) x ``BENCH_WEB_THREADS`` (4),
    unless given.
    """

    def __init__(
        self, *, workers: int | None = None, threads: int | None = None, port: int | None = None
    ) -> None:
        self.port = port or free_port()
        self.workers = workers or env_int("BENCH_WEB_WORKERS", 2)
        self.threads = threads or env_int("BENCH_WEB_THREADS", 4)
        super().__init__(
            "web",
            [
                PYTHON,
                "-m",
                "gunicorn",
                "config.wsgi",
                "--bind",
                f"127.0.0.1:{self.port}",
                "--workers",
                str(self.workers),
                "--threads",
                str(self.threads),
                "--worker-class",
                "gthread",
                "--backlog",
                "512",
                "--timeout",
                "60",
                "--log-level",
                "warning",
            ],
            app_env(),
        )

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def worker_pids(self) -> list[int]:
        """The gunicorn worker processes (children of the arbiter)."""
        import psutil

        try:
            return [p.pid for p in psutil.Process(self.pid).children(recursive=False)]
        except psutil.NoSuchProcess:
            return []

    def wait_ready(self, timeout: float = 60) -> None:
        import urllib.error
        import urllib.request

        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if not self.alive():
                raise RuntimeError(f"web server exited; see {self.log}")
            try:
                urllib.request.urlopen(self.base_url + "/api/v1/visits/", timeout=2)
                return
            except urllib.error.HTTPError:
                return  # 401: it answers
            except OSError:
                time.sleep(0.2)
        raise RuntimeError(f"web server not ready after {timeout}s; see {self.log}")


# --- Redis -----------------------------------------------------------------------------------
def redis_client() -> Any:
    import redis

    return redis.Redis.from_url(redis_url())


def queue_depth(r: Any) -> tuple[int, int]:
    """(messages waiting in the queue, messages delivered but not yet acknowledged)."""
    return int(r.llen(QUEUE)), int(r.hlen("unacked"))


def wait_queue_empty(r: Any, *, timeout: float, interval: float = 0.01) -> float:
    """Wait until the queue holds nothing and nothing is unacknowledged; returns the time."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if queue_depth(r) == (0, 0):
            return time.perf_counter()
        time.sleep(interval)
    raise TimeoutError(f"queue not drained after {timeout}s: {queue_depth(r)}")


def wait_until(
    predicate: Callable[[], bool], *, timeout: float, interval: float = 0.05, what: str = ""
) -> float:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return time.perf_counter()
        time.sleep(interval)
    raise TimeoutError(f"timed out after {timeout}s waiting for {what or 'condition'}")


# --- Figures ---------------------------------------------------------------------------------
def percentile(values: Sequence[float], p: float) -> float:
    """Nearest-rank percentile (p in 0..100) of a non-empty sequence."""
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    k = max(0, min(len(ordered) - 1, round(p / 100 * len(ordered) + 0.5) - 1))
    return float(ordered[k])


def summary_ms(values: Iterable[float]) -> dict[str, float]:
    """p50/p95/p99/max/mean of durations given in seconds, in milliseconds."""
    v = [x * 1000 for x in values]
    if not v:
        return {"count": 0}
    return {
        "count": len(v),
        "p50_ms": round(percentile(v, 50), 2),
        "p95_ms": round(percentile(v, 95), 2),
        "p99_ms": round(percentile(v, 99), 2),
        "max_ms": round(max(v), 2),
        "mean_ms": round(statistics.fmean(v), 2),
    }


def write_result(name: str, data: dict[str, Any]) -> Path:
    RESULTS.mkdir(parents=True, exist_ok=True)
    path = RESULTS / f"{name}.json"
    path.write_text(json.dumps(data, indent=2, default=str) + "\n", encoding="utf-8")
    return path


def log(msg: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {msg}", flush=True)
