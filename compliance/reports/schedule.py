"""A crontab evaluated in a time zone of its own.

Celery evaluates every crontab in ``CELERY_TIMEZONE`` (UTC here, for the other schedules); the
weekly report must run at 06:00 on Monday in the *report* time zone, summer and winter alike.
No Django import: the settings module imports this.
"""

from __future__ import annotations

from typing import Any
from zoneinfo import ZoneInfo

from celery.schedules import crontab


class ZonedCrontab(crontab):
    """``crontab(...)`` whose fields are read in ``time_zone`` (an IANA name)."""

    def __init__(self, *args: Any, time_zone: str = "UTC", **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.time_zone = time_zone
        ZoneInfo(time_zone)  # fail at start-up on an unknown zone, not at the first run

    @property
    def tz(self) -> ZoneInfo:  # type: ignore[override]
        return ZoneInfo(self.time_zone)

    def __reduce__(self) -> Any:
        cls, args, kwargs = super().__reduce__()
        return cls, args, {**kwargs, "time_zone": self.time_zone}

    def __setstate__(self, state: Any) -> None:
        state = dict(state)
        self.time_zone = state.pop("time_zone", "UTC")
        super().__setstate__(state)

    def __repr__(self) -> str:
        return f"{super().__repr__()[:-1]} {self.time_zone}>"

    def __eq__(self, other: Any) -> bool:
        if isinstance(other, ZonedCrontab):
            return super().__eq__(other) and other.time_zone == self.time_zone
        return NotImplemented
