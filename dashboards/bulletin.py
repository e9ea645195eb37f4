"""The 通报 (the monthly bulletin) as a Word document: a narrative written
from the figures of the chosen day, the overdue list and the unit ranking,
in the official layout (dashboards.bulletin_docx).

The figures are the overview's, from the same functions
(dashboards.figures.dashboard_overview over the whole plan on that day,
dashboards.targets.target_attainment), so the 通报 and 进展总览 for the
same day say the same numbers. bulletin_figures turns them into plain
values — numbers, strings, lists of dicts, never a model — which are all
that the office's templates (dashboards.bulletin_text) can see; the
variables are listed in FIGURE_NAMES and docs/dashboards.md."""

import datetime as dt
from dataclasses import dataclass

from django.utils import translation
from django.utils.translation import gettext_lazy as _

from indicators.models import Plan
from tasks.models import Task, TaskQuerySet

from . import bulletin_docx as docx
from .asof import Scope, scoped_states, task_states
from .bulletin_text import Section, bulletin_paragraphs
from .figures import Figures, Overview, dashboard_overview, units_figures
from .targets import target_attainment

# How many categories, units and targets a sentence names at most.
NAMED = 3
OVERDUE_UNITS_NAMED = 5

# The variables the templates can use, with what they mean (shown on the
# 通报模板 page; docs/dashboards.md has the same table).
FIGURE_NAMES = {
    "plan_title": _("年度计划的标题"),
    "year": _("年度"),
    "as_of": _("截至日期（如 2019年8月15日）"),
    "last_month_end": _("上月底的日期"),
    "today": _("生成通报的日期"),
    "indicators": _("有任务的指标数"),
    "units": _("有任务的单位数"),
    "total": _("任务总数"),
    "verified": _("已办结"),
    "verified_percent": _("已办结占任务总数的百分比"),
    "completed": _("已完成待核实"),
    "in_progress": _("推进中（含退回）"),
    "returned": _("其中退回"),
    "not_started": _("未启动"),
    "overdue": _("已逾期"),
    "assessable": _("应完成"),
    "on_time": _("按期完成"),
    "extended_on_time": _("延期后按期"),
    "on_time_rate": _("按期完成率（%，无应完成任务时为 None）"),
    "on_time_rate_last": _("上月底的按期完成率"),
    "on_time_rate_change": _("按期完成率较上月底的变化（百分点，可为负）"),
    "on_time_rate_change_abs": _("变化的绝对值"),
    "categories": _("各指标类别：name, total, verified, overdue, on_time_rate"),
    "categories_ahead": _("按期完成率高于全区的类别（至多 3 个，同上）"),
    "categories_behind": _("按期完成率低于全区的类别（至多 3 个，同上）"),
    "top_units": _("按期完成率排名第一的单位（至多 3 个）：name, on_time_rate, assessable"),
    "top_unit_count": _("按期完成率并列第一的单位数"),
    "overdue_units": _("逾期任务最多的单位（至多 5 个）：name, overdue"),
    "overdue_unit_count": _("有逾期任务的单位数"),
    "targets_confirmed": _("已确认的目标数"),
    "targets_reported": _("已报送数值的目标数"),
    "targets_met": _("已达成的目标数"),
    "targets_unmet": _("已报送但未达成的目标数"),
    "targets_furthest": _("离目标最远的目标（至多 3 个）：code, name, goal, latest, unit"),
}


def cn_date(day: dt.date) -> str:
    """2019年8月15日: the 通报 is always in Chinese, whatever the interface language."""
    return f"{day.year}年{day.month}月{day.day}日"


def bulletin_filename(*, plan: Plan, as_of: dt.date) -> str:
    return f"通报-{plan.year}-截至{as_of:%Y%m%d}.docx"


def _category(row) -> dict:
    figures = row.figures
    return {
        "name": row.name,
        "total": figures.total,
        "verified": figures.verified,
        "overdue": figures.overdue,
        "on_time_rate": figures.on_time_rate,
    }


def _change(now: float | None, before: float | None) -> float | None:
    return None if now is None or before is None else round(now - before, 1)


def bulletin_figures(*, overview: Overview, today: dt.date) -> dict:
    """The figures of the overview's day as plain values for the templates."""
    scope = overview.scope
    totals = overview.totals
    last_month_end = scope.as_of.replace(day=1) - dt.timedelta(days=1)
    # 对比上月底: the totals of the overview as of the last day of last month.
    then = task_states(plan=scope.plan, as_of=last_month_end, today=today)
    before = sum((unit.all for unit in units_figures(then, last_month_end)), Figures())
    rate, rate_last = totals.on_time_rate, before.on_time_rate
    change = _change(rate, rate_last)
    rated = [c for c in overview.categories if c.figures.on_time_rate is not None]
    ahead = sorted((c for c in rated if rate is not None and c.figures.on_time_rate > rate), key=_by_rate)
    behind = sorted((c for c in rated if rate is not None and c.figures.on_time_rate < rate), key=_by_rate)
    overdue_units = sorted(
        (u for u in overview.units if u.all.overdue), key=lambda u: (-u.all.overdue, u.name)
    )
    first = [u for u in overview.units if u.rank == 1]
    attainment = target_attainment(scope=scope)
    indicators = scoped_states(scope).values("indicator_id").distinct().count()
    return {
        "plan_title": scope.plan.title,
        "year": scope.plan.year,
        "as_of": cn_date(scope.as_of),
        "last_month_end": cn_date(last_month_end),
        "today": cn_date(today),
        "indicators": indicators,
        "units": len(overview.units),
        "total": totals.total,
        "verified": totals.verified,
        "verified_percent": totals.verified_percent,
        "completed": totals.completed,
        "in_progress": totals.in_progress,
        "returned": totals.returned,
        "not_started": totals.not_started,
        "overdue": totals.overdue,
        "assessable": totals.assessable,
        "on_time": totals.on_time,
        "extended_on_time": totals.extended_on_time,
        "on_time_rate": rate,
        "on_time_rate_last": rate_last,
        "on_time_rate_change": change,
        "on_time_rate_change_abs": None if change is None else abs(change),
        "categories": [_category(c) for c in overview.categories],
        "categories_ahead": [_category(c) for c in ahead[:NAMED]],
        "categories_behind": [_category(c) for c in reversed(behind[-NAMED:])],
        "top_units": [
            {"name": u.name, "on_time_rate": u.all.on_time_rate, "assessable": u.all.assessable}
            for u in first[:NAMED]
        ],
        "top_unit_count": len(first),
        "overdue_units": [
            {"name": u.name, "overdue": u.all.overdue} for u in overdue_units[:OVERDUE_UNITS_NAMED]
        ],
        "overdue_unit_count": len(overdue_units),
        "targets_confirmed": attainment.total.confirmed,
        "targets_reported": attainment.total.reported,
        "targets_met": attainment.total.met,
        "targets_unmet": sum(1 for row in attainment.rows if row.met is False),
        "targets_furthest": [
            {
                "code": row.target.indicator.code,
                "name": row.target.name,
                "goal": row.target.goal_display,
                "latest": row.latest.value if row.latest else None,
                "unit": row.lead_unit,
            }
            for row in attainment.furthest[:NAMED]
        ],
    }


def _by_rate(category) -> tuple:
    return (-category.figures.on_time_rate, -category.figures.assessable, category.name)


@dataclass
class OverdueGroup:
    """One indicator's tasks overdue since one day: the lead and responsible
    units late on it."""

    code: str
    task_text: str
    due_date: dt.date
    days_late: int
    lead: list[str]
    responsible: list[str]


def overdue_groups(scope: Scope) -> list[OverdueGroup]:
    """Every overdue task of the scope (the overview's rule,
    TaskQuerySet.overdue_q), grouped by indicator and due date, longest
    overdue first — all of them, not only the overview's first 100."""
    rows = (
        scoped_states(scope)
        .filter(TaskQuerySet.overdue_q(scope.as_of))
        .order_by("due_date", "indicator__position", "role", "unit__name")
        .values_list(
            "indicator_id", "indicator__code", "indicator__task_text", "due_date", "role", "unit__name"
        )
    )
    groups: dict[tuple, OverdueGroup] = {}
    for indicator_id, code, text, due, role, unit in rows:
        group = groups.get((indicator_id, due))
        if group is None:
            group = groups[indicator_id, due] = OverdueGroup(
                code, text, due, (scope.as_of - due).days, [], []
            )
        (group.lead if role == Task.Role.LEAD else group.responsible).append(unit)
    return list(groups.values())


OVERDUE_HEADERS = ["序号", "目标任务", "牵头单位", "责任单位", "截止日期", "逾期天数"]
OVERDUE_WIDTHS = [12, 50, 24, 30, 26, 14]
RANKING_HEADERS = [
    "排名",
    "单位",
    "任务数",
    "已办结",
    "已逾期",
    "应完成",
    "按期完成",
    "延期后按期",
    "按期完成率",
]
RANKING_WIDTHS = [12, 38, 14, 14, 14, 14, 16, 16, 18]


def _rate(value: float | None) -> str:
    return "—" if value is None else f"{value}%"


def bulletin_document(*, plan: Plan, as_of: dt.date, today: dt.date, texts: dict | None = None) -> bytes:
    """The 通报 of the plan as of the end of `as_of`, in Chinese whatever
    the interface language. Raises bulletin_text.TemplateProblem when a
    template cannot be rendered."""
    with translation.override("zh-hans"):
        return _document(plan=plan, as_of=as_of, today=today, texts=texts)


def _document(*, plan: Plan, as_of: dt.date, today: dt.date, texts: dict | None) -> bytes:
    scope = Scope(plan=plan, as_of=as_of, today=today)
    overview = dashboard_overview(scope=scope)
    paragraphs = bulletin_paragraphs(bulletin_figures(overview=overview, today=today), texts)
    document = docx.new_document()
    for line in paragraphs[Section.TITLE]:
        docx.add_title(document, line)
    docx.add_subtitle(document, f"（截至{cn_date(as_of)}）")
    for section in (Section.OVERALL, Section.PROGRESS, Section.PROBLEMS, Section.NEXT_STEPS):
        docx.add_heading(document, str(section.label))
        for text in paragraphs[section]:
            docx.add_body(document, text)
    docx.add_signature(document, paragraphs[Section.SIGNATURE])

    docx.add_page_break(document)
    groups = overdue_groups(scope)
    count = f"{len(groups)}项指标、{overview.totals.overdue}项任务" if groups else "无"
    docx.add_caption(document, f"附表1　逾期任务清单（{count}）")
    docx.add_table(
        document,
        OVERDUE_HEADERS,
        [
            [
                g.code,
                g.task_text,
                "、".join(g.lead),
                "、".join(g.responsible),
                cn_date(g.due_date),
                g.days_late,
            ]
            for g in groups
        ]
        or [["", "无逾期任务", "", "", "", ""]],
        OVERDUE_WIDTHS,
    )
    docx.add_caption(document, "")
    docx.add_caption(document, "附表2　单位按期完成率排名")
    docx.add_table(
        document,
        RANKING_HEADERS,
        [
            [
                u.rank or "—",
                u.name,
                u.all.total,
                u.all.verified,
                u.all.overdue,
                u.all.assessable,
                u.all.on_time,
                u.all.extended_on_time,
                _rate(u.all.on_time_rate),
            ]
            for u in overview.units
        ],
        RANKING_WIDTHS,
    )
    return docx.to_bytes(document)
