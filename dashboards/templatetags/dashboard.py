"""The overview's tables (the numbers behind each chart, and the overdue
list): each table's head and rows are defined together here, so its columns
are named where they are filled.

Joined here rather than rendered by template loops: at province scale the
overview shows some 2,500 numbers, and rendering each through the template
engine (lookup, localisation, escaping) took about 40 ms of an 80 ms page;
joined here it takes a few. Every value is escaped (`escape_text`, or
format_html for the heads and the rows with links and badges)."""

from django import template
from django.urls import reverse
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

from dashboards.figures import Figures, Overview
from tasks.models import Task
from tasks.templatetags.portal import cn_date, escape_text, status_badge, url_with_id
from xsreform.dates import month_text

register = template.Library()

NUMBER = mark_safe(' class="text-end"')  # a number's cell, right-aligned


def _body(rows, *, text: tuple[int, ...] = (0,)) -> SafeString:
    """A <tbody> of cells, each value escaped: the columns in `text` are
    text, the others numbers (right-aligned)."""

    def cell(value) -> str:
        return str(value) if type(value) is int else escape_text(value)

    rows = "\n".join(
        "<tr>"
        + "".join(
            f"<td>{cell(v)}</td>" if i in text else f"<td{NUMBER}>{cell(v)}</td>" for i, v in enumerate(row)
        )
        + "</tr>"
        for row in rows
    )
    return mark_safe(f"<tbody>{rows}</tbody>")  # noqa: S308 - every value is an int or goes through escape_text


def _rate(value: float | None) -> str:
    return "—" if value is None else f"{value:g}%"


def _month(day) -> str:
    return month_text(day)


def _head(*labels: str, text: tuple[int, ...] = (0,)) -> SafeString:
    """A <thead> of one row, its columns aligned as _body aligns the cells."""
    return format_html("<thead><tr>{}</tr></thead>", _labels(labels, text=text))


def _labels(labels, *, text: tuple[int, ...] = ()) -> SafeString:
    return format_html_join(
        "", "<th{}>{}</th>", (("" if i in text else NUMBER, label) for i, label in enumerate(labels))
    )


def _category_table(overview: Overview) -> SafeString:
    head = _head(
        _("指标名称"), _("任务"), _("已办结"), _("待核实"), _("推进中"), _("未启动"), _("逾期"), _("按期率")
    )
    return head + _body(
        (
            r.name,
            f.total,
            f.verified,
            f.completed,
            f.in_progress,
            f.not_started,
            f.overdue,
            _rate(f.on_time_rate),
        )
        for r in overview.categories
        for f in [r.figures]
    )


def _trend_table(overview: Overview) -> SafeString:
    head = _head(_("日期"), _("应完成（已到截止日）"), _("已报完成（含已办结）"), _("已办结"))
    if not overview.trend:
        return head + format_html(
            '<tbody><tr><td colspan="4" class="text-body-secondary">{}</td></tr></tbody>',
            _("计划年度尚未开始。"),
        )
    return head + _body((cn_date(p.day), p.due, p.completed, p.verified) for p in overview.trend)


def _due_table(first_column: str, rows, label) -> SafeString:
    head = _head(first_column, _("到期任务"), _("已办结"), _("已逾期"), _("未到期"))
    return head + _body(
        (label(r.day), f.total, f.verified, f.overdue, f.pending)
        for r in rows
        for f in [r.figures]
        if f.total
    )


def _ranking_table(overview: Overview) -> SafeString:
    head = _head(_("排名"), _("单位"), _("应完成"), _("按期完成"), _("按期率"), _("逾期"), text=(1,))
    return head + _body(
        (
            (
                "—" if u.rank is None else u.rank,
                u.name,
                u.all.assessable,
                u.all.on_time,
                _rate(u.all.on_time_rate),
                u.all.overdue,
            )
            for u in overview.units
        ),
        text=(1,),
    )


def _unit_table(overview: Overview) -> SafeString:
    def three(f: Figures):
        return f.total, f.verified, f.overdue

    columns = _labels((_("任务"), _("已办结"), _("逾期")))
    head = format_html(
        '<thead><tr><th rowspan="2">{}</th><th colspan="3" class="text-center">{}</th>'
        '<th colspan="3" class="text-center">{}</th></tr>\n<tr>{}{}</tr></thead>',
        _("单位"),
        _("牵头"),
        _("责任"),
        columns,
        columns,
    )
    return head + _body((u.name, *three(u.lead), *three(u.responsible)) for u in overview.units_by_size)


# The table behind each chart (its 数据表 tab), by the chart's key.
TABLES = {
    "categories": _category_table,
    "trend": _trend_table,
    "months": lambda overview: _due_table(_("截止月份"), overview.months, _month),
    "calendar": lambda overview: _due_table(_("截止日期"), overview.days, cn_date),
    "ranking": _ranking_table,
    "units": _unit_table,
}


@register.simple_tag
def chart_table(overview: Overview, key: str) -> SafeString:
    """The <thead> and <tbody> of the table behind the chart `key`."""
    return TABLES[key](overview)


@register.simple_tag
def overdue_rows(overview: Overview, selectable: bool = False) -> SafeString:
    """The overdue list: days late, the task (a link to its page), unit, role,
    due date, status and the latest report; for the reform office a tick box
    first, for 催办所选 (the form "overdue-bulk")."""
    roles = {value: escape_text(label) for value, label in Task.Role.choices}
    badges = {value: status_badge(value) for value in Task.Status.values}
    detail = url_with_id("tasks:detail")
    never = format_html('<span class="text-body-secondary">{}</span>', _("未报送"))
    rows = []
    for row in overview.overdue:
        text = row.task_text if len(row.task_text) <= 60 else row.task_text[:59] + "…"
        latest = (
            f"{row.latest_percent}% · {cn_date(row.latest_reported_at)}" if row.latest_reported_at else never
        )
        tick = (
            f'<td><input class="form-check-input" type="checkbox" name="task" value="{int(row.id)}"'
            f' form="overdue-bulk" aria-label="{escape_text(row.code)} {escape_text(row.unit_name)}"></td>'
            if selectable
            else ""
        )
        rows.append(
            f'<tr>{tick}<td class="text-end fw-semibold text-danger text-nowrap">{row.days_late}</td>'
            f"<td>{escape_text(row.code)}</td>"
            f'<td class="task-text"><a class="link-body-emphasis" href="{detail.format(int(row.id))}">{escape_text(text)}</a></td>'
            f'<td class="text-nowrap">{escape_text(row.unit_name)}</td><td>{roles.get(row.role, escape_text(row.role))}</td>'
            f'<td class="text-nowrap">{cn_date(row.due_date)}</td><td>{badges.get(row.status, escape_text(row.status))}</td>'
            f'<td class="text-nowrap">{latest}</td></tr>'
        )
    return mark_safe("\n".join(rows))  # noqa: S308 - text fields escaped, the rest numbers, dates and our markup


@register.simple_tag
def tally_rows(tallies) -> SafeString:
    """目标达成's tables: a <tbody> of name and met / confirmed."""
    rows = "".join(
        f"<tr><td>{escape_text(tally.name or '—')}</td><td{NUMBER}>{tally.met} / {tally.confirmed}</td></tr>"
        for tally in tallies
    )
    return mark_safe(f"<tbody>{rows}</tbody>")  # noqa: S308 - the names through escape_text, the rest ints


@register.simple_tag
def completeness_rows(figures, plan) -> SafeString:
    """报送完整率's table: a unit per row, its name to the unit's year, its
    badge to its unreported tasks (~60 rows, three links each)."""
    unit_url = url_with_id("dashboards:unit_completeness") + f"?plan={int(plan.year)}"
    unreported_url = (
        f"{escape_text(reverse('tasks:overview'))}?plan={int(plan.year)}&amp;unit={{}}&amp;show=unreported"
    )
    complete = '<span class="badge text-bg-success">{}</span>'.format(escape_text(_("全部报送")))
    incomplete = '<a class="badge text-bg-danger text-decoration-none" href="{}">{}</a>'
    rows = "\n".join(
        f'<tr><td><a href="{escape_text(unit_url.format(int(unit.unit_id)))}">{escape_text(unit.name)}</a></td>'
        f"<td{NUMBER}>{int(unit.open)}</td><td{NUMBER}>{int(unit.reported)}</td>"
        f"<td{NUMBER}>{int(unit.missing)}</td><td{NUMBER}>{int(unit.rate)}%</td><td>"
        + (
            complete
            if unit.complete
            else incomplete.format(unreported_url.format(int(unit.unit_id)), escape_text(_("未全部报送")))
        )
        + "</td></tr>"
        for unit in figures.units
    )
    if not rows:
        rows = format_html(
            '<tr><td colspan="6" class="text-center text-body-secondary py-3">{}</td></tr>',
            _("该月没有待报送的任务。"),
        )
    return mark_safe(rows)  # noqa: S308 - names through escape_text, numbers through int()


@register.simple_tag
def incomplete_units(figures, plan) -> SafeString:
    """报送完整率's list of the units that did not report on everything,
    each linked to its year: 区发改局（缺 2 项）、…"""
    unit_url = url_with_id("dashboards:unit_completeness") + f"?plan={int(plan.year)}"
    missing = _("缺 %(missing)s 项")
    return mark_safe(  # noqa: S308 - names and labels through escape_text, numbers through int()
        "、".join(
            f'<a class="alert-link" href="{escape_text(unit_url.format(int(unit.unit_id)))}">'
            f"{escape_text(unit.name)}</a>（{escape_text(missing % {'missing': int(unit.missing)})}）"
            for unit in figures.incomplete
        )
    )
