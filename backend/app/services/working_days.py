"""The Chinese working-day calendar: statutory holidays and 调休 make-up working days.

The provinces' measures give the platform **2 working days** to forward an objection to the
provincial node (陕西：“2个工作日内将企业提出的异议申诉转交省级节点”). Working days come from the
`chinese_calendar` package (pip name chinesecalendar), which carries the State Council's
holiday arrangement for each year it knows: weekends are days off unless they are 调休 make-up
working days (e.g. Sunday 2025-09-28 and Saturday 2025-10-11), and statutory holidays are days off
even on weekdays (2025-10-01..10-08).

The counting rule (the day of submission never counts):
    the deadline is the n-th working day *after* the calendar day the request arrived on, in
    China Standard Time. A request on a working day — at 09:00 or at 23:59 — starts the count on
    the next working day, so there is no after-hours cut-off to argue about; a request on a
    weekend or holiday likewise starts the count on the next working day.
    Submitted Tuesday 2025-09-30 → day 1 is Thursday 10-09, day 2 (the deadline) Friday 10-10.

The package only knows the years the State Council has published. A date outside them raises
`WorkingCalendarUnavailable` instead of guessing: a deadline computed without the holiday
arrangement could be days early. The fix is to upgrade chinesecalendar once the year's
arrangement is out (usually in November of the year before).
"""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

import chinese_calendar
import structlog
from chinese_calendar import constants as _calendar_data

from app.errors import AppError

log = structlog.get_logger(__name__)

# China Standard Time has had no daylight-saving time since 1991: a fixed offset is exact.
CHINA_TZ = timezone(timedelta(hours=8), "Asia/Shanghai")

_KNOWN_YEARS = sorted(
    {day.year for day in _calendar_data.holidays} | {day.year for day in _calendar_data.workdays}
)
FIRST_KNOWN_YEAR, LAST_KNOWN_YEAR = _KNOWN_YEARS[0], _KNOWN_YEARS[-1]

FORWARDING_WORKING_DAYS = 2


class WorkingCalendarUnavailable(AppError):
    """The holiday arrangement of `day`'s year is not in the installed calendar data."""

    def __init__(self, day: date) -> None:
        super().__init__(
            "working_calendar_unavailable",
            f"工作日日历尚未包含{day.year}年的法定节假日和调休安排"
            f"（现有 {FIRST_KNOWN_YEAR}–{LAST_KNOWN_YEAR} 年），暂时无法计算办理期限。"
            "请稍后再试，或拨打服务热线办理。",
            503,
        )
        self.day = day


def _require_known(day: date) -> None:
    if not FIRST_KNOWN_YEAR <= day.year <= LAST_KNOWN_YEAR:
        log.error(
            "working_calendar.year_unknown",
            year=day.year,
            known=f"{FIRST_KNOWN_YEAR}-{LAST_KNOWN_YEAR}",
            fix="upgrade the chinesecalendar package",
        )
        raise WorkingCalendarUnavailable(day)


def is_working_day(day: date) -> bool:
    """True on a weekday that is no statutory holiday, and on a 调休 make-up working day."""
    _require_known(day)
    try:
        return bool(chinese_calendar.is_workday(day))
    except NotImplementedError:  # the package's own range check, should ours ever drift
        raise WorkingCalendarUnavailable(day) from None


def add_working_days(start: date, n: int) -> date:
    """The n-th working day after `start` (`start` itself never counts, whatever kind of day it
    is). n = 0 returns `start` unchanged."""
    if n < 0:
        raise ValueError("n must not be negative")
    day = start
    remaining = n
    while remaining:
        day += timedelta(days=1)
        if is_working_day(day):
            remaining -= 1
    return day


def china_date(moment: datetime) -> date:
    """The calendar day in China of an aware datetime (stored times are UTC)."""
    if moment.tzinfo is None:
        raise ValueError("an aware datetime is required")
    return moment.astimezone(CHINA_TZ).date()


def forwarding_deadline(submitted_at: datetime) -> date:
    """The last day to forward an objection to the provincial node: 2 working days, counted from
    the working day after the day (China time) it was submitted."""
    return add_working_days(china_date(submitted_at), FORWARDING_WORKING_DAYS)
