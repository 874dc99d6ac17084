"""Working days on the Chinese calendar: statutory holidays, 调休 make-up days, and the rule that
the day of submission never counts. Real 2025 国庆 and 2026 春节 dates from the package data."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from chinese_calendar import constants

from app.services.working_days import (
    CHINA_TZ,
    WorkingCalendarUnavailable,
    add_working_days,
    china_date,
    forwarding_deadline,
    is_working_day,
)


def _days(first: date, last: date) -> set[date]:
    return {first + timedelta(days=i) for i in range((last - first).days + 1)}


def test_the_package_has_the_2025_national_day_arrangement() -> None:
    holidays = {d for d in constants.holidays if date(2025, 9, 20) <= d <= date(2025, 10, 20)}
    assert holidays == _days(date(2025, 10, 1), date(2025, 10, 8))
    make_up = {d for d in constants.workdays if date(2025, 9, 20) <= d <= date(2025, 10, 20)}
    assert make_up == {date(2025, 9, 28), date(2025, 10, 11)}  # a Sunday and a Saturday


def test_the_package_has_the_2026_spring_festival_arrangement() -> None:
    holidays = {d for d in constants.holidays if date(2026, 2, 1) <= d <= date(2026, 3, 10)}
    assert holidays == _days(date(2026, 2, 15), date(2026, 2, 23))
    make_up = {d for d in constants.workdays if date(2026, 2, 1) <= d <= date(2026, 3, 10)}
    assert make_up == {date(2026, 2, 14), date(2026, 2, 28)}  # both Saturdays


@pytest.mark.parametrize(
    ("day", "working"),
    [
        (date(2025, 9, 27), False),  # Saturday
        (date(2025, 9, 28), True),  # Sunday, 调休 make-up day
        (date(2025, 9, 30), True),
        (date(2025, 10, 1), False),
        (date(2025, 10, 6), False),  # 中秋 inside the holiday
        (date(2025, 10, 8), False),  # a Wednesday, still holiday
        (date(2025, 10, 9), True),
        (date(2025, 10, 11), True),  # Saturday, 调休 make-up day
        (date(2025, 10, 12), False),
        (date(2026, 2, 14), True),  # Saturday, 调休 make-up day
        (date(2026, 2, 16), False),  # a Monday in 春节
        (date(2026, 2, 23), False),
        (date(2026, 2, 24), True),
        (date(2026, 2, 28), True),  # Saturday, 调休 make-up day
        (date(2026, 3, 1), False),
    ],
)
def test_is_working_day(day: date, working: bool) -> None:
    assert is_working_day(day) is working


@pytest.mark.parametrize(
    ("submitted", "deadline"),
    [
        # 国庆 2025: the holiday is skipped, the make-up days count.
        (date(2025, 9, 30), date(2025, 10, 10)),  # Tue → Thu 10-09, Fri 10-10
        (date(2025, 9, 26), date(2025, 9, 29)),  # Fri → Sun 09-28 (make-up), Mon 09-29
        (date(2025, 9, 27), date(2025, 9, 29)),  # Sat (day off) → 09-28, 09-29
        (date(2025, 10, 3), date(2025, 10, 10)),  # during the holiday → 10-09, 10-10
        (date(2025, 10, 9), date(2025, 10, 11)),  # Thu → Fri 10-10, Sat 10-11 (make-up)
        (date(2025, 10, 10), date(2025, 10, 13)),  # Fri → Sat 10-11 (make-up), Mon 10-13
        # 春节 2026: 02-15..02-23 off, Saturdays 02-14 and 02-28 are working days.
        (date(2026, 2, 12), date(2026, 2, 14)),  # Thu → Fri 02-13, Sat 02-14 (make-up)
        (date(2026, 2, 13), date(2026, 2, 24)),  # Fri → Sat 02-14, then Tue 02-24
        (date(2026, 2, 14), date(2026, 2, 25)),  # on the make-up Saturday → 02-24, 02-25
        (date(2026, 2, 18), date(2026, 2, 25)),  # during the holiday → 02-24, 02-25
        (date(2026, 2, 26), date(2026, 2, 28)),  # Thu → Fri 02-27, Sat 02-28 (make-up)
        # An ordinary week.
        (date(2026, 11, 20), date(2026, 11, 24)),  # Fri → Mon, Tue
        (date(2026, 12, 29), date(2026, 12, 31)),  # stays inside the known year
    ],
)
def test_two_working_days(submitted: date, deadline: date) -> None:
    assert add_working_days(submitted, 2) == deadline


def test_zero_and_negative() -> None:
    assert add_working_days(date(2025, 10, 3), 0) == date(2025, 10, 3)
    with pytest.raises(ValueError):
        add_working_days(date(2025, 10, 3), -1)


def test_the_day_counts_in_china_time_and_hour_of_day_does_not_matter() -> None:
    # 2025-10-09 16:30 UTC is already Friday 2025-10-10 00:30 in China.
    late = datetime(2025, 10, 9, 16, 30, tzinfo=UTC)
    assert china_date(late) == date(2025, 10, 10)
    assert forwarding_deadline(late) == date(2025, 10, 13)
    # Early morning and late evening of the same China day: the same deadline.
    morning = datetime(2025, 9, 30, 8, 0, tzinfo=CHINA_TZ)
    night = datetime(2025, 9, 30, 23, 59, tzinfo=CHINA_TZ)
    assert forwarding_deadline(morning) == forwarding_deadline(night) == date(2025, 10, 10)
    with pytest.raises(ValueError):
        china_date(datetime(2025, 9, 30, 8, 0))


@pytest.mark.parametrize(
    ("start", "year"),
    [(date(2026, 12, 30), 2027), (date(2027, 3, 1), 2027), (date(2003, 6, 2), 2003)],
)
def test_unknown_years_fail_loudly(start: date, year: int) -> None:
    with pytest.raises(WorkingCalendarUnavailable) as failed:
        add_working_days(start, 2)
    assert failed.value.code == "working_calendar_unavailable"
    assert failed.value.status_code == 503
    assert f"{year}年" in failed.value.message
