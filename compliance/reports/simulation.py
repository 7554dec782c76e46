"""Backdated activity for demos and tests: run the real services as if at another moment.

Every write path reads the clock through ``django.utils.timezone.now`` — the services, the audit
log and the models' ``auto_now_add`` fields — so replacing that one function moves every
timestamp of a visit, its decisions, approvals and audit events together, and the records look
exactly as if they had been made then (the audit chain included: it is ordered by id, not time).

Only for generating demo data and test fixtures; never used by the application itself.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager

from django.utils import timezone as django_timezone


class SimulatedClock:
    """A clock that stands at ``now`` and moves ``tick`` forward on every read, so that the steps
    of one service call (filing, decision, audit events) get distinct, increasing times."""

    def __init__(self, start: dt.datetime, tick: dt.timedelta = dt.timedelta(milliseconds=250)):
        if start.tzinfo is None:
            raise ValueError("The simulated clock needs an aware datetime.")
        self.current = start.astimezone(dt.UTC)
        self.tick = tick

    def __call__(self) -> dt.datetime:
        value = self.current
        self.current += self.tick
        return value

    def set(self, moment: dt.datetime) -> None:
        """Move to ``moment`` (never backwards: records must stay in time order)."""
        moment = moment.astimezone(dt.UTC)
        if moment < self.current:
            raise ValueError(
                f"The simulated clock is at {self.current}; it cannot go back to {moment}."
            )
        self.current = moment


@contextmanager
def simulated_time(
    start: dt.datetime, *, tick: dt.timedelta = dt.timedelta(milliseconds=250)
) -> Iterator[SimulatedClock]:
    clock = SimulatedClock(start, tick)
    original = django_timezone.now
    django_timezone.now = clock  # type: ignore[assignment]
    try:
        yield clock
    finally:
        django_timezone.now = original  # type: ignore[assignment]
