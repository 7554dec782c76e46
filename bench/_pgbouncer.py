"""A PgBouncer of the benchmark's own, in transaction pooling mode, in front of PostgreSQL.

    with PgBouncer(server_url).start() as bouncer:
        bouncer.client_url      # postgres://postgres@127.0.0.1:6432/dispatch_bench
        bouncer.pools()         # SHOW POOLS of the admin console

Its configuration is written to a temporary directory (listen 127.0.0.1:``BENCH_PGBOUNCER_PORT``
(6432, or a free port when that one is taken), ``auth_type = trust``, ``pool_mode =
transaction``, ``default_pool_size`` ``BENCH_PGBOUNCER_POOL_SIZE`` (8) server connections per
database and user); it runs in the foreground in its own session and is stopped by its process
group id, as every service of the benchmarks. PgBouncer refuses to run as root: as root it is
started with ``-u postgres``. Its log is appended to var/bench/pgbouncer.log when it stops.
"""

from __future__ import annotations

import os
import pwd
import shutil
import socket
import tempfile
import threading
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import _common as c

DEFAULT_PORT = 6432


def executable() -> str | None:
    """The pgbouncer binary (Debian installs it in /usr/sbin), or None when it is not installed."""
    found = shutil.which("pgbouncer")
    if found:
        return found
    return "/usr/sbin/pgbouncer" if Path("/usr/sbin/pgbouncer").exists() else None


def _port_free(port: int) -> bool:
    with socket.socket() as s:
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


class PgBouncer(c.Service):
    """pgbouncer in transaction pooling mode, pointing at the server of ``server_url``."""

    def __init__(self, server_url: str, *, pool_size: int | None = None) -> None:
        c.require_loopback(server_url)
        exe = executable()
        if exe is None:
            raise FileNotFoundError(
                "pgbouncer is not installed (Debian: apt-get install pgbouncer)"
            )
        parts = urlsplit(server_url)
        self.server_url = server_url
        self.user = parts.username or "postgres"
        self.database = parts.path.lstrip("/")
        self.pool_size = pool_size or c.env_int("BENCH_PGBOUNCER_POOL_SIZE", 8)
        wanted = c.env_int("BENCH_PGBOUNCER_PORT", DEFAULT_PORT)
        self.port = wanted if _port_free(wanted) else c.free_port()
        self.dir = Path(tempfile.mkdtemp(prefix="bench-pgbouncer-"))
        netloc = f"{self.user}@127.0.0.1:{self.port}"
        self.client_url = urlunsplit((parts.scheme, netloc, parts.path, "", ""))
        self.config = self.dir / "pgbouncer.ini"
        self._write_config(parts.hostname or "127.0.0.1", parts.port or 5432)
        argv = [exe]
        if os.geteuid() == 0:
            argv += ["-u", "postgres"]
            self._hand_over("postgres")
        argv.append(str(self.config))
        super().__init__("pgbouncer", argv, {**os.environ})
        self.samples: list[dict[str, Any]] = []
        self.missed: list[str] = []
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def _write_config(self, host: str, port: int) -> None:
        (self.dir / "userlist.txt").write_text(f'"{self.user}" ""\n')
        self.config.write_text(
            "\n".join(
                [
                    "[databases]",
                    f"* = host={host} port={port}",
                    "",
                    "[pgbouncer]",
                    "listen_addr = 127.0.0.1",
                    f"listen_port = {self.port}",
                    f"unix_socket_dir = {self.dir}",
                    "auth_type = trust",
                    f"auth_file = {self.dir / 'userlist.txt'}",
                    f"admin_users = {self.user}",
                    f"stats_users = {self.user}",
                    "pool_mode = transaction",
                    f"default_pool_size = {self.pool_size}",
                    "min_pool_size = 0",
                    "reserve_pool_size = 0",
                    "max_client_conn = 500",
                    "server_lifetime = 3600",
                    "server_idle_timeout = 600",
                    "ignore_startup_parameters = extra_float_digits,options",
                    f"logfile = {self.dir / 'pgbouncer.log'}",
                    "log_connections = 0",
                    "log_disconnections = 0",
                    "",
                ]
            )
        )

    def _hand_over(self, user: str) -> None:
        """Make the temporary directory the unprivileged user's (it writes its log there)."""
        entry = pwd.getpwnam(user)
        for path in (self.dir, *self.dir.iterdir()):
            os.chown(path, entry.pw_uid, entry.pw_gid)

    def wait_ready(self, timeout: float = 20) -> None:
        import psycopg

        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if not self.alive():
                raise RuntimeError(f"pgbouncer exited; see {self.log}")
            try:
                with psycopg.connect(self._libpq(self.client_url), connect_timeout=2) as conn:
                    conn.execute("SELECT 1")
                return
            except psycopg.OperationalError:
                time.sleep(0.2)
        raise RuntimeError(f"pgbouncer not ready after {timeout}s; see {self.log}")

    @staticmethod
    def _libpq(url: str) -> str:
        return url.replace("postgres://", "postgresql://", 1)

    def pools(self) -> list[dict[str, Any]]:
        """``SHOW POOLS`` of the admin console: client and server connections per pool."""
        import psycopg

        admin = self._libpq(f"postgresql://{self.user}@127.0.0.1:{self.port}/pgbouncer")
        with psycopg.connect(admin, autocommit=True, prepare_threshold=None) as conn:
            cur = conn.cursor()
            cur.execute("SHOW POOLS")
            names = [d.name for d in cur.description or ()]
            return [dict(zip(names, row, strict=True)) for row in cur.fetchall()]

    def sample_pools(self, interval: float = 0.5) -> None:
        """Sample ``SHOW POOLS`` of the benchmark database in the background until ``stop``."""

        def run() -> None:
            while not self._stop.wait(interval):
                try:
                    rows = [p for p in self.pools() if p.get("database") == self.database]
                except Exception as exc:  # a missed sample is no failure
                    self.missed.append(type(exc).__name__)
                    continue
                for p in rows:
                    self.samples.append({k: p.get(k) for k in _POOL_FIELDS})

        self._thread = threading.Thread(target=run, name="pgbouncer-pools", daemon=True)
        self._thread.start()

    def pool_figures(self) -> dict[str, Any]:
        """Peaks over the samples: clients, server connections in use, clients kept waiting."""
        if not self.samples:
            return {"samples": 0, "missed_samples": len(self.missed)}
        return {
            "samples": len(self.samples),
            "missed_samples": len(self.missed),
            "pool_size": self.pool_size,
            "max_client_connections": max(
                int(s["cl_active"]) + int(s["cl_waiting"]) for s in self.samples
            ),
            "max_server_connections": max(
                int(s["sv_active"]) + int(s["sv_idle"]) + int(s["sv_used"]) for s in self.samples
            ),
            "max_server_active": max(int(s["sv_active"]) for s in self.samples),
            "max_clients_waiting": max(int(s["cl_waiting"]) for s in self.samples),
            "max_wait_ms": max(
                int(s.get("maxwait") or 0) * 1000 + int(s.get("maxwait_us") or 0) // 1000
                for s in self.samples
            ),
        }

    def stop(self, timeout: float = 20) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
        super().stop(timeout)
        log = self.dir / "pgbouncer.log"
        if log.exists():
            c.LOGS.mkdir(parents=True, exist_ok=True)
            with open(self.log, "ab") as out:
                out.write(log.read_bytes())
        shutil.rmtree(self.dir, ignore_errors=True)


_POOL_FIELDS = (
    "cl_active",
    "cl_waiting",
    "sv_active",
    "sv_idle",
    "sv_used",
    "maxwait",
    "maxwait_us",
)
