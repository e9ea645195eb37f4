"""Days written the way the interface language writes them: 2019年7月31日 in
Chinese, 31 Jul 2019 in English. Every page, e-mail, chart and message that
shows a day goes through these (templates through the portal's `cn_date` and
`cn_datetime` filters), so an English page never shows 2019年7月31日 and a
Chinese one never shows 2019-07-31. The workbooks are built in Chinese
(indicators.xlsx.in_site_language), so their days are Chinese too."""

import datetime as dt

from django.utils import timezone, translation

MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]


def chinese() -> bool:
    """Is the active language Chinese (the site's language; none active counts as it)?"""
    return (translation.get_language() or "zh-hans").startswith("zh")


def _local(value) -> dt.date | dt.datetime:
    if isinstance(value, dt.datetime) and timezone.is_aware(value):
        return timezone.localtime(value)
    return value


def day_text(value) -> str:
    """2019年7月31日 / 31 Jul 2019; a moment as its day in the site's time zone."""
    if not value:
        return ""
    return _day(_local(value))


def _day(day: dt.date) -> str:
    if chinese():
        return f"{day.year}年{day.month}月{day.day}日"
    return f"{day.day} {MONTHS[day.month - 1]} {day.year}"


def moment_text(value) -> str:
    """2019年7月31日 09:05 / 31 Jul 2019 09:05, in the site's time zone.
    Localized once and formatted by hand: a task page shows up to ~150
    moments, and the time zone looked up twice and strftime took 11 µs each."""
    if not value:
        return ""
    local = _local(value)
    return f"{_day(local)} {local.hour:02d}:{local.minute:02d}"


def month_day_text(day: dt.date, *, year: int | None = None) -> str:
    """7月31日 / 31 Jul: a day in a year the reader knows (`year`); the
    whole day when it falls in another year."""
    if year is not None and day.year != year:
        return day_text(day)
    if chinese():
        return f"{day.month}月{day.day}日"
    return f"{day.day} {MONTHS[day.month - 1]}"


def month_text(month: dt.date, *, year: int | None = None) -> str:
    """7月 / Jul in the year the reader knows (`year`); 2019年7月 / Jul 2019 otherwise."""
    if chinese():
        return f"{month.month}月" if month.year == year else f"{month.year}年{month.month}月"
    return MONTHS[month.month - 1] if month.year == year else f"{MONTHS[month.month - 1]} {month.year}"
