"""Worker resident memory across 100,000 checks: ``python bench/bench_memory.py [--json OUT]``.

The measurement rides on the re-check benchmark (``bench_recheck.py``), which pushes 100,000
checks through a real worker pool: the resident set (RSS) of the worker's main process and of each
pool process is sampled every half second. The baseline is taken after a warm-up (the first
checks load the rule set and the screening index into every pool process); the figure is the
growth from that baseline to the end of the run, for the whole worker and for the worst pool
process. Target: growth after warm-up <= 20 %.

Run on its own, this script runs the re-check benchmark with sampling on (the same run
``make bench`` makes, which writes both results/recheck.json and results/memory.json).
"""

from __future__ import annotations

import sys
import threading
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

TARGET_GROWTH = 0.20


class RssSampler:
    """Samples the RSS of a worker's main process and pool processes in a background thread."""

    def __init__(self, main_pid: int, pool_pids: list[int], *, interval: float = 0.5) -> None:
        self.main_pid = main_pid
        self.pool_pids = list(pool_pids)
        self.interval = interval
        self.samples: list[tuple[float, dict[int, int]]] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._t0 = time.perf_counter()

    def snapshot(self) -> dict[int, int]:
        import psutil

        out = {}
        for pid in [self.main_pid, *self.pool_pids]:
            try:
                out[pid] = psutil.Process(pid).memory_info().rss
            except psutil.NoSuchProcess:
                out[pid] = 0
        return out

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            self.samples.append((time.perf_counter() - self._t0, self.snapshot()))

    def start(self) -> RssSampler:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout=5)


def memory_figures(
    baseline: dict[int, int],
    final: dict[int, int],
    sampler: RssSampler,
    *,
    checks: int,
    pool_pids: list[int],
    main_pid: int,
) -> dict[str, Any]:
    mib = 1024 * 1024
    total_base = sum(baseline.values())
    total_final = sum(final.values())
    peak = max((sum(s.values()) for _, s in sampler.samples), default=total_final)
    per_pool = {
        str(pid): {
            "baseline_mib": round(baseline.get(pid, 0) / mib, 1),
            "final_mib": round(final.get(pid, 0) / mib, 1),
            "growth": round(final.get(pid, 0) / baseline[pid] - 1, 4)
            if baseline.get(pid)
            else None,
        }
        for pid in pool_pids
    }
    worst = max((p["growth"] or 0 for p in per_pool.values()), default=0.0)
    growth = total_final / total_base - 1 if total_base else float("nan")
    # A leak keeps growing; caches filling up (rule windows, name normalisation) level off.
    mid = sampler.samples[len(sampler.samples) // 2][1] if sampler.samples else baseline
    second_half = total_final / sum(mid.values()) - 1 if sum(mid.values()) else float("nan")
    # A compact series: one point every ~5 s.
    step = max(1, int(5 / sampler.interval))
    series = [
        {"t": round(t, 1), "total_mib": round(sum(s.values()) / mib, 1)}
        for t, s in sampler.samples[::step]
    ]
    return {
        "checks_after_warmup": checks,
        "main_pid": main_pid,
        "pool_pids": pool_pids,
        "baseline_total_mib": round(total_base / mib, 1),
        "final_total_mib": round(total_final / mib, 1),
        "peak_total_mib": round(peak / mib, 1),
        "growth": round(growth, 4),
        "second_half_growth": round(second_half, 4),
        "worst_pool_process_growth": worst,
        "per_pool_process": per_pool,
        "target_growth": TARGET_GROWTH,
        "meets_target": growth <= TARGET_GROWTH and worst <= TARGET_GROWTH,
        "series": series,
    }


def main() -> int:
    import bench_recheck

    return bench_recheck.main(["--memory", *sys.argv[1:]])


if __name__ == "__main__":
    raise SystemExit(main())
