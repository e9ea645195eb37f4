"""Working days in mainland China: the statutory holidays and make-up working
days (调休) of the `chinesecalendar` package, overridden day by day by the
admin's table (`WorkdayOverride`, 工作日调整).

The package knows the years the State Council has published; for any other it
raises NotImplementedError. There we count Monday to Friday, log a warning and
name the year in `fallback_years` (and the admin pages list it, see
`years_needing_calendar`), so that a missing year never stops a sweep. The
State Council publishes next year's holidays around November: upgrade
`chinesecalendar`, or enter them as overrides and then record the year as
entered (`HolidayYear`, 年度节假日安排): one override in a year — a local day
off — does not make its Spring Festival known, so it does not stop the
warning; the admin's record of the whole year does."""

import datetime as dt
import logging
from importlib.metadata import version

import chinese_calendar
from django.utils import timezone

from tasks.models import site_timezone

from .models import HolidayYear, WorkdayOverride

logger = logging.getLogger(__name__)

ONE_DAY = dt.timedelta(days=1)


def local_date(moment: dt.datetime) -> dt.date:
    """The day it is in Asia/Shanghai at that moment."""
    return timezone.localtime(moment, site_timezone()).date()


def start_of_day(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time.min, tzinfo=site_timezone())


def package_knows(year: int) -> bool:
    """Whether chinesecalendar has the holidays of this year."""
    try:
        chinese_calendar.is_workday(dt.date(year, 6, 1))
    except NotImplementedError:
        return False
    return True


class WorkdayCalendar:
    """Answers "is this a working day" for one sweep. Build it with `load()`,
    which reads the admin's overrides once."""

    def __init__(self, overrides: dict[dt.date, bool] | None = None, entered_years=()):
        self.overrides = dict(overrides or {})
        # Years the package does not know whose holidays the admin entered:
        # the days not overridden are ordinary weekdays and weekends.
        self.entered_years = set(entered_years)
        self.fallback_years: set[int] = set()

    @classmethod
    def load(cls) -> "WorkdayCalendar":
        return cls(
            dict(WorkdayOverride.objects.values_list("date", "is_workday")),
            HolidayYear.objects.values_list("year", flat=True),
        )

    def is_workday(self, day: dt.date) -> bool:
        if day in self.overrides:
            return self.overrides[day]
        try:
            return chinese_calendar.is_workday(day)
        except NotImplementedError:
            if day.year not in self.fallback_years | self.entered_years:
                self.fallback_years.add(day.year)
                logger.warning(
                    "chinesecalendar %s has no holidays for %s: counting Monday to Friday as working "
                    "days. Upgrade chinesecalendar or enter the year's holidays in the admin (工作日调整).",
                    version("chinesecalendar"),
                    day.year,
                )
            return day.weekday() < 5

    def workdays_until(self, start: dt.date, end: dt.date) -> int:
        """How many working days away `end` is from `start`: the working days
        after `start`, up to and including `end` (0 when end <= start)."""
        return sum(1 for n in range(1, (end - start).days + 1) if self.is_workday(start + n * ONE_DAY))

    def add_workdays(self, start: dt.date, count: int) -> dt.date:
        """The `count`-th working day after `start` (`start` itself for 0)."""
        day = start
        while count > 0:
            day += ONE_DAY
            if self.is_workday(day):
                count -= 1
        return day

    def horizon(self, start: dt.date, count: int) -> dt.date:
        """The last date at most `count` working days away from `start`: a due
        date on a weekend or holiday right after the count-th working day is
        still within it (it is no further away in working days)."""
        return self.add_workdays(start, count + 1) - ONE_DAY


def years_needing_calendar(*, today: dt.date, plan_years=()) -> list[int]:
    """The years the sweep needs soon that chinesecalendar does not know and
    whose holidays the admin has not recorded as entered (`HolidayYear`):
    this year, next year from December (a due-soon count then looks into
    January) and the years of the plans given. Shown to admins as a warning."""
    years = {today.year, *plan_years}
    if today.month == 12:
        years.add(today.year + 1)
    missing = {year for year in years if year >= today.year and not package_knows(year)}
    missing -= set(HolidayYear.objects.filter(year__in=missing).values_list("year", flat=True))
    return sorted(missing)


# The statutory holidays on fixed dates (全国年节及纪念日放假办法, as revised
# for 2025 on): 元旦, 劳动节, 国庆节. The others follow the lunar calendar or
# the solar terms, which we cannot check.
FIXED_HOLIDAYS = [(1, 1), (5, 1), (5, 2), (10, 1), (10, 2), (10, 3)]


def fixed_holidays_not_off(year: int) -> list[dt.date]:
    """The fixed-date statutory holidays of the year that the calendar, as
    entered, counts as working days: a year whose holidays are entered has
    none. (Counting Monday to Friday, 1 October is a working day.)"""
    calendar = WorkdayCalendar.load()
    calendar.entered_years.add(year)
    days = [dt.date(year, month, day) for month, day in FIXED_HOLIDAYS]
    return [day for day in days if calendar.is_workday(day)]
