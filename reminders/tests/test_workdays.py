import datetime as dt
import logging

import pytest

from reminders.models import HolidayYear, WorkdayOverride
from reminders.workdays import WorkdayCalendar, package_knows, years_needing_calendar

D = dt.date


@pytest.fixture
def calendar(db):
    return WorkdayCalendar.load()


def test_it_knows_the_national_day_holiday_and_its_make_up_days(calendar):
    assert [calendar.is_workday(D(2019, 10, day)) for day in range(1, 8)] == [False] * 7
    assert calendar.is_workday(D(2019, 9, 29))  # a Sunday, worked
    assert calendar.is_workday(D(2019, 10, 12))  # a Saturday, worked
    assert not calendar.is_workday(D(2019, 9, 28))  # an ordinary Saturday


def test_it_counts_working_days_across_the_national_day_holiday(calendar):
    # From Friday 27 September: 29th (Sunday, worked), 30th, then 8, 9, 10 October.
    assert calendar.workdays_until(D(2019, 9, 27), D(2019, 10, 10)) == 5
    assert calendar.add_workdays(D(2019, 9, 27), 5) == D(2019, 10, 10)
    assert calendar.add_workdays(D(2019, 9, 30), 1) == D(2019, 10, 8)
    # 12 October is a Saturday worked: the week after the holiday has six days.
    assert calendar.workdays_until(D(2019, 10, 7), D(2019, 10, 14)) == 6


def test_it_counts_a_due_date_on_a_day_off_within_the_horizon(calendar):
    # 31 August 2019 is a Saturday: from Friday 23 August it is 5 working days
    # away (26–30 August), so it is within a 5-day horizon; from the 22nd it is 6.
    assert calendar.workdays_until(D(2019, 8, 23), D(2019, 8, 31)) == 5
    assert calendar.horizon(D(2019, 8, 23), 5) == D(2019, 9, 1)  # through the weekend
    assert calendar.horizon(D(2019, 8, 22), 5) == D(2019, 8, 29)
    # Before a long holiday the horizon runs through it.
    assert calendar.horizon(D(2019, 9, 27), 5) == D(2019, 10, 10)


def test_it_counts_across_a_leap_day(calendar):
    # 29 February 2020 is a Saturday.
    assert not calendar.is_workday(D(2020, 2, 29))
    assert calendar.workdays_until(D(2020, 2, 24), D(2020, 2, 29)) == 4
    assert calendar.add_workdays(D(2020, 2, 27), 2) == D(2020, 3, 2)
    assert calendar.horizon(D(2020, 2, 24), 4) == D(2020, 3, 1)


def test_it_counts_across_the_year_end(calendar):
    assert not calendar.is_workday(D(2020, 1, 1))
    assert calendar.workdays_until(D(2019, 12, 27), D(2020, 1, 3)) == 4  # 30, 31 Dec; 2, 3 Jan
    assert calendar.workdays_until(D(2019, 12, 24), D(2019, 12, 31)) == 5
    assert calendar.add_workdays(D(2019, 12, 31), 1) == D(2020, 1, 2)


def test_it_falls_back_to_monday_to_friday_with_a_warning_for_an_unknown_year(calendar, caplog):
    assert not package_knows(2099)
    with caplog.at_level(logging.WARNING, logger="reminders.workdays"):
        assert calendar.is_workday(D(2099, 1, 1))  # a Thursday: New Year's Day unknown
        assert not calendar.is_workday(D(2099, 1, 3))  # a Saturday
        assert calendar.workdays_until(D(2099, 1, 2), D(2099, 1, 9)) == 5
    assert calendar.fallback_years == {2099}
    warnings = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1  # once per year, not once per day
    assert "no holidays for 2099" in warnings[0].getMessage()


def test_it_lets_the_admins_overrides_win(db):
    WorkdayOverride.objects.create(date=D(2019, 10, 8), is_workday=False, note="local arrangement")
    WorkdayOverride.objects.create(date=D(2019, 10, 19), is_workday=True, note="make-up day")
    calendar = WorkdayCalendar.load()
    assert not calendar.is_workday(D(2019, 10, 8))
    assert calendar.is_workday(D(2019, 10, 19))  # a Saturday
    assert calendar.add_workdays(D(2019, 9, 30), 1) == D(2019, 10, 9)


def test_it_names_the_years_the_admin_must_fill_in(db):
    assert years_needing_calendar(today=D(2019, 7, 1)) == []
    assert years_needing_calendar(today=D(2019, 7, 1), plan_years=[2019, 2099]) == [2099]
    assert years_needing_calendar(today=D(2099, 3, 1)) == [2099]
    # In December the next year matters too: due-soon counts reach into January.
    assert years_needing_calendar(today=D(2098, 11, 30)) == [2098]
    assert years_needing_calendar(today=D(2098, 12, 1)) == [2098, 2099]
    # The admin's record that the year's holidays are entered stands for its calendar.
    HolidayYear.objects.create(year=2099)
    assert years_needing_calendar(today=D(2099, 3, 1)) == []


def test_it_counts_monday_to_friday_for_an_unknown_year_until_its_holidays_are_recorded(db, caplog):
    WorkdayOverride.objects.create(date=D(2027, 4, 2), is_workday=False, note="local day off")
    calendar = WorkdayCalendar.load()
    with caplog.at_level(logging.WARNING, logger="reminders.workdays"):
        assert calendar.is_workday(D(2027, 10, 1))  # National Day, unknown: a Friday
        assert not calendar.is_workday(D(2027, 4, 2))
    assert calendar.fallback_years == {2027}
    assert "no holidays for 2027" in caplog.text
    assert years_needing_calendar(today=D(2027, 3, 1)) == [2027]

    WorkdayOverride.objects.create(date=D(2027, 10, 1), is_workday=False, note="国庆节")
    HolidayYear.objects.create(year=2027)
    calendar = WorkdayCalendar.load()
    assert not calendar.is_workday(D(2027, 10, 1))
    assert calendar.is_workday(D(2027, 10, 8))  # an ordinary Friday
    assert calendar.fallback_years == set()
    assert years_needing_calendar(today=D(2027, 3, 1)) == []
