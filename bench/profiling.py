"""py-spy sampling of a running process, summarised as the top entries by own and total time.

Sampling is non-blocking (the target is not paused) and includes idle frames, so that the time a
worker spends waiting on PostgreSQL or Redis shows up where it is spent. 50 samples a second by
default: the sampler takes CPU of its own, on the cores it measures. Off with BENCH_PROFILE=0.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import sys
from collections import Counter
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import _common as c

_LINE = re.compile(r":\d+\)$")


def enabled() -> bool:
    return os.environ.get("BENCH_PROFILE", "1") not in ("0", "", "no", "false")


def _py_spy() -> str | None:
    local = Path(c.PYTHON).parent / "py-spy"
    return str(local) if local.exists() else shutil.which("py-spy")


class Recording:
    """``py-spy record`` of one process for a bounded time, in the background."""

    def __init__(self, pid: int, name: str, *, seconds: int = 20, rate: int = 50) -> None:
        self.pid = pid
        self.name = name
        self.seconds = seconds
        self.out = c.RESULTS / "profiles" / f"{name}.txt"
        self.proc: subprocess.Popen[bytes] | None = None
        self.rate = rate

    def start(self) -> Recording:
        exe = _py_spy()
        if exe is None or not enabled():
            return self
        self.out.parent.mkdir(parents=True, exist_ok=True)
        self.proc = subprocess.Popen(
            [
                exe,
                "record",
                "--nonblocking",
                "--idle",
                "-p",
                str(self.pid),
                "-d",
                str(self.seconds),
                "-r",
                str(self.rate),
                "-f",
                "raw",
                "-o",
                str(self.out),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        return self

    def finish(
        self, top: int = 12, *, stop: bool = False, within: str | None = None
    ) -> dict[str, Any] | None:
        """Wait for the recording (``stop``: end it now; py-spy writes what it has on SIGINT)
        and summarise it (``within``: see ``summarise``)."""
        if self.proc is None:
            return None
        if stop and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)
        try:
            self.proc.wait(timeout=self.seconds + 30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(timeout=10)
        if not self.out.exists():
            return None
        return summarise(self.out, top=top, within=within)


def _frame(raw: str) -> str:
    name = _LINE.sub(")", raw.strip())
    # "func (path/to/file.py)": keep the path from the project or site-packages on.
    for marker in ("site-packages/", str(c.ROOT) + "/", "/lib/python3.11/"):
        if marker in name:
            func, _, path = name.partition(" (")
            return f"{func} ({path.split(marker, 1)[1]}"
    return name


def summarise(path: Path, *, top: int = 12, within: str | None = None) -> dict[str, Any]:
    """Top frames by own samples and by total (inclusive) samples, as shares of all samples;
    ``within``: only the samples whose stack holds a frame containing that text (one call of
    the profiled process, without its other threads)."""
    own: Counter[str] = Counter()
    total: Counter[str] = Counter()
    samples = 0
    for line in path.read_text(encoding="utf-8", errors="replace").splitlines():
        stack, _, count = line.rpartition(" ")
        if not stack or not count.isdigit():
            continue
        n = int(count)
        frames = [_frame(f) for f in stack.split(";") if f]
        frames = [f for f in frames if not f.startswith("process ") and not f.startswith("thread ")]
        if not frames or (within and not any(within in f for f in frames)):
            continue
        samples += n
        own[frames[-1]] += n
        for f in set(frames):
            total[f] += n

    def share(counter: Counter[str]) -> list[dict[str, Any]]:
        return [
            {"frame": f, "share": round(n / samples, 3)} for f, n in counter.most_common(top) if n
        ]

    # The project's own frames; the middleware wrap every request and would fill the top.
    project = Counter(
        {
            f: n
            for f, n in total.items()
            if re.search(r"\((compliance|dispatch|config)/", f) and "(config/middleware.py" not in f
        }
    )
    return {
        "file": str(path.relative_to(c.ROOT)),
        "within": within,
        "samples": samples,
        "top_own": share(own),
        "top_total_project": share(project),
    }
