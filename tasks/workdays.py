"""Working days in mainland China: the statutory holidays and make-up working
days (调休) of the `chinesecalendar` package, overridden day by day by the
admin's table (`WorkdayOverride`, 工作日调整).

The package knows the years the State Council has published; for any other it
raises NotImplementedError. There we count Monday to Friday, log a warning and
name the year in `fallback_years` (and the admin pages list it, see
`years_needing_calendar`), so that a missing year never stops a sweep. The
State Council publishes next year's holidays around November: upgrade
`chinesecalendar`, or enter them as overrides."""

import datetime as dt
import logging
from importlib.metadata import version

import chinese_calendar

from .models import WorkdayOverride

logger = logging.getLogger(__name__)

ONE_DAY = dt.timedelta(days=1)


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

    def __init__(self, overrides: dict[dt.date, bool] | None = None):
        self.overrides = dict(overrides or {})
        self.fallback_years: set[int] = set()

    @classmethod
    def load(cls) -> "WorkdayCalendar":
        return cls(dict(WorkdayOverride.objects.values_list("date", "is_workday")))

    def is_workday(self, day: dt.date) -> bool:
        if day in self.overrides:
            return self.overrides[day]
        try:
            return chinese_calendar.is_workday(day)
        except NotImplementedError:
            if day.year not in self.fallback_years:
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
    for which the admin has entered no override: this year, next year from
    December (a due-soon count then looks into January) and the years of the
    plans given. Shown to admins as a warning."""
    years = {today.year, *plan_years}
    if today.month == 12:
        years.add(today.year + 1)
    missing = {year for year in years if year >= today.year and not package_knows(year)}
    if missing:
        covered = set(
            WorkdayOverride.objects.filter(date__year__in=missing).values_list("date__year", flat=True)
        )
        missing -= covered
    return sorted(missing)
