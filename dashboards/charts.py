"""The charts of the overview: the same numbers as its tables, shaped for
static/js/dashboard.js (ECharts), with every label translated here so the
script holds no words."""

import datetime as dt

from django.utils.translation import gettext as _

from xsreform.dates import chinese, day_text, month_day_text, month_text

from .figures import Overview


def _series(name: str, key: str, data, **extra) -> dict:
    """One series of a chart: its label, its colour (by `key`, in the
    script's COLORS) and its values."""
    return {"name": name, **extra, "key": key, "data": list(data)}


def dashboard_charts(overview: Overview) -> dict:
    """The data of every chart, with its labels (translated here, so the
    script holds no words)."""
    verified = _("已办结")
    statuses = {
        "verified": verified,
        "completed": _("已完成待核实"),
        "in_progress": _("推进中"),
        "not_started": _("未启动"),
    }
    units = overview.units_by_size
    ranked = [u for u in overview.units if u.rank is not None]
    return {
        "categories": {
            "names": [row.name for row in overview.categories],
            "series": [
                _series(name, key, (getattr(r.figures, key) for r in overview.categories))
                for key, name in statuses.items()
            ],
        },
        "units": {
            "names": [u.name for u in units],
            "ids": [u.unit_id for u in units],
            "series": [
                _series(_("牵头·已办结"), "verified", (u.lead.verified for u in units), stack="lead"),
                _series(_("牵头·未办结"), "lead_open", (u.lead.open for u in units), stack="lead"),
                _series(
                    _("责任·已办结"),
                    "verified_light",
                    (u.responsible.verified for u in units),
                    stack="responsible",
                ),
                _series(
                    _("责任·未办结"),
                    "responsible_open",
                    (u.responsible.open for u in units),
                    stack="responsible",
                ),
            ],
        },
        "months": {
            "names": [_month_label(r.day, overview.scope.plan.year) for r in overview.months],
            "series": [
                _series(verified, "verified", (r.figures.verified for r in overview.months)),
                _series(_("已逾期"), "overdue", (r.figures.overdue for r in overview.months)),
                _series(_("未到期"), "pending", (r.figures.pending for r in overview.months)),
            ],
        },
        "calendar": {
            "range": _calendar_range(overview),
            "label": _("当日到期任务数"),
            "data": [
                [r.day.isoformat(), r.figures.total, r.figures.verified, r.figures.overdue, day_text(r.day)]
                for r in overview.days
            ],
            "names": "ZH" if chinese() else "EN",  # ECharts' own month and weekday names
            "words": {"due": _("到期"), "verified": _("已办结"), "overdue": _("已逾期")},
        },
        "ranking": {
            "names": [u.name for u in ranked],
            "ids": [u.unit_id for u in ranked],
            "values": [u.all.on_time_rate for u in ranked],
            "label": _("按期完成率（%）"),
        },
        "trend": {
            "days": [_day_label(p.day, overview.scope.plan.year) for p in overview.trend],
            "series": [
                _series(_("应完成（已到截止日）"), "due", (p.due for p in overview.trend)),
                _series(_("已报完成（含已办结）"), "completed", (p.completed for p in overview.trend)),
                _series(verified, "verified", (p.verified for p in overview.trend)),
            ],
        },
    }


def _day_label(day: dt.date, year: int) -> str:
    """A trend point's day (7月31日 / 31 Jul); its year too when it is not the plan's."""
    return month_day_text(day, year=year)


def _month_label(month: dt.date, year: int) -> str:
    """7月 / Jul; 2020年1月 / Jan 2020 outside the plan's year."""
    return month_text(month, year=year)


def _calendar_range(overview: Overview) -> list[str] | str:
    year = overview.scope.plan.year
    if not overview.days:
        return str(year)
    first, last = overview.days[0].day, overview.days[-1].day
    if first.year == last.year == year:
        return str(year)
    return [first.replace(day=1).isoformat(), last.isoformat()]
