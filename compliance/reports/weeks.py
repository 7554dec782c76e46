"""ISO weeks (Monday to Sunday) in the report time zone. Pure: no Django, no clock read.

A week is the period ``[starts_at, ends_at)``: Monday 00:00 to the next Monday 00:00 in the
report time zone, so a week across a DST change lasts 167 or 169 hours.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

WEEK_RE = re.compile(r"^(?P<year>\d{4})-W(?P<week>\d{2})$")
MIN_YEAR, MAX_YEAR = 1900, 9998


class WeekError(ValueError):
    """A week label that is malformed, does not exist, or has not ended yet."""


class WeekNotFound(WeekError):
    """A well-formed week label of a week there is no report of: it does not exist (2026-W60, a
    year out of range) or has not ended yet."""


@dataclass(frozen=True, order=True)
class ReportWeek:
    year: int
    week: int
    time_zone: str = "UTC"

    @property
    def label(self) -> str:
        return f"{self.year:04d}-W{self.week:02d}"

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.time_zone)

    @property
    def first_day(self) -> dt.date:
        return dt.date.fromisocalendar(self.year, self.week, 1)

    @property
    def last_day(self) -> dt.date:
        return self.first_day + dt.timedelta(days=6)

    @property
    def days(self) -> list[dt.date]:
        return [self.first_day + dt.timedelta(days=i) for i in range(7)]

    @property
    def starts_at(self) -> dt.datetime:
        return dt.datetime.combine(self.first_day, dt.time(0), tzinfo=self.zone)

    @property
    def ends_at(self) -> dt.datetime:
        """Exclusive: the next Monday 00:00 in the report time zone."""
        return dt.datetime.combine(
            self.first_day + dt.timedelta(days=7), dt.time(0), tzinfo=self.zone
        )

    def day_bounds(self, day: dt.date) -> tuple[dt.datetime, dt.datetime]:
        start = dt.datetime.combine(day, dt.time(0), tzinfo=self.zone)
        end = dt.datetime.combine(day + dt.timedelta(days=1), dt.time(0), tzinfo=self.zone)
        return start, end

    def previous(self) -> ReportWeek:
        return week_containing(self.starts_at - dt.timedelta(days=1), self.time_zone)

    def next(self) -> ReportWeek:
        return week_containing(self.ends_at + dt.timedelta(hours=12), self.time_zone)

    def has_ended(self, now: dt.datetime) -> bool:
        return now >= self.ends_at

    def __str__(self) -> str:
        return self.label


def _zone(time_zone: str) -> ZoneInfo:
    try:
        return ZoneInfo(time_zone)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise WeekError(f"Unknown time zone {time_zone!r}.") from exc


def week_containing(moment: dt.datetime, time_zone: str) -> ReportWeek:
    local = moment.astimezone(_zone(time_zone))
    year, week, _ = local.date().isocalendar()
    return ReportWeek(year, week, time_zone)


def previous_week(now: dt.datetime, time_zone: str) -> ReportWeek:
    """The last complete week before ``now``: what the Monday run reports on."""
    return week_containing(now, time_zone).previous()


def parse_week(text: str, time_zone: str, *, now: dt.datetime | None = None) -> ReportWeek:
    """``"2026-W47"`` → a ``ReportWeek``; with ``now``, a week that has not ended is refused."""
    _zone(time_zone)
    match = WEEK_RE.match((text or "").strip())
    if match is None:
        raise WeekError(
            f"{text!r} is not an ISO week: write it as YYYY-Www, e.g. 2026-W47 (Monday to Sunday)."
        )
    year, number = int(match["year"]), int(match["week"])
    if not MIN_YEAR <= year <= MAX_YEAR:
        raise WeekNotFound(f"{text} is out of range: the year must be {MIN_YEAR} to {MAX_YEAR}.")
    try:
        dt.date.fromisocalendar(year, number, 1)
    except ValueError as exc:
        weeks_in_year = dt.date(year, 12, 28).isocalendar()[1]
        raise WeekNotFound(
            f"{text} does not exist: {year} has ISO weeks 01 to {weeks_in_year}."
        ) from exc
    week = ReportWeek(year, number, time_zone)
    if now is not None and not week.has_ended(now):
        latest = previous_week(now, time_zone)
        when = "is in the future" if now < week.starts_at else "has not ended yet"
        raise WeekNotFound(
            f"{week.label} {when} (it ends {week.ends_at:%Y-%m-%d %H:%M} {time_zone}); "
            f"a report covers a complete week: the latest is {latest.label}."
        )
    return week
