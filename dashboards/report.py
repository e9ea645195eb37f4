"""The monthly report (月度通报): the plan's tasks as of a day, in the annex's
columns plus each unit's status, percent, latest 进展情况 and 存在问题 and
days overdue, with a summary sheet by unit and a sheet of definitions.

Written through indicators.xlsx.write_workbook, so it prints on landscape
pages with the header repeated and page numbers, counts, days and rates are
numbers (rates as percents of a fraction), and no cell can become a formula.
Always in Chinese, whatever the interface language (indicators.xlsx.in_site_language). The
figures use the dashboard's definitions (dashboards.asof and .figures): the same as-of
state, overdue and on-time rules, so the report and the overview agree."""

import datetime as dt

from django.db.models import OuterRef, Subquery
from django.utils.translation import gettext as _

from indicators.annex import COLUMNS
from indicators.models import Indicator, Plan
from indicators.xlsx import PERCENT, WHOLE, WHOLE_PERCENT, Sheet, in_site_language, percent, write_workbook
from tasks.models import ProgressReport, Task

from .asof import day_end, task_states
from .figures import Figures, UnitRow, units_figures
from .targets import ATTAINMENT_HEADERS, ATTAINMENT_WIDTHS, attainment_sheet_rows


def cn_date(day: dt.date) -> str:
    return f"{day.year}年{day.month}月{day.day}日"


def report_filename(*, plan: Plan, as_of: dt.date) -> str:
    return f"月度通报-{plan.year}-截至{as_of:%Y%m%d}.xlsx"


def _task_rows(*, plan: Plan, as_of: dt.date, today: dt.date) -> list[list]:
    latest = ProgressReport.objects.filter(task_id=OuterRef("id"), created_at__lt=day_end(as_of)).order_by(
        "-created_at", "-pk"
    )
    states = (
        task_states(plan=plan, as_of=as_of, today=today)
        .select_related("indicator", "unit")
        .annotate(
            latest_percent=Subquery(latest.values("percent")[:1]),
            latest_progress=Subquery(latest.values("progress")[:1]),
            latest_problems=Subquery(latest.values("problems")[:1]),
        )
        .order_by("indicator__position", "role", "unit__name")
    )
    named = {
        indicator.pk: ("、".join(indicator.lead_names), "、".join(indicator.responsible_names))
        for indicator in Indicator.objects.filter(plan=plan).with_units()
    }
    rows = []
    for task in states:
        indicator = task.indicator
        lead, responsible = named.get(indicator.pk, ("", ""))
        overdue = task.status != Task.Status.VERIFIED and task.due_date < as_of
        rows.append(
            [
                indicator.code,
                indicator.category,
                indicator.task_text,
                lead,
                responsible,
                indicator.deadline_label,
                task.unit.name,
                Task.Role(task.role).label,
                Task.Status(task.status).label,
                percent(task.latest_percent),
                task.latest_progress or "",
                task.latest_problems or "",
                (as_of - task.due_date).days if overdue else None,
            ]
        )
    return rows


# The annex's own columns (as the importer names them), then the progress.
TASK_HEADERS = [
    *COLUMNS.values(),
    "单位",
    "角色",
    "状态",
    "完成进度",
    "进展情况",
    "存在问题",
    "逾期天数",
]
TASK_WIDTHS = [6, 12, 40, 16, 20, 8, 16, 6, 10, 8, 40, 28, 8]
TASK_FORMATS = [None] * 9 + [WHOLE_PERCENT, None, None, WHOLE]

SUMMARY_HEADERS = [
    "排名",
    "单位",
    "任务数",
    "其中牵头",
    "其中责任",
    "已办结",
    "已完成待核实",
    "推进中",
    "其中退回",
    "未启动",
    "已逾期",
    "应完成",
    "按期完成",
    "延期后按期",
    "按期完成率",
]
SUMMARY_WIDTHS = [6, 24, 8, 8, 8, 8, 10, 8, 8, 8, 8, 8, 8, 10, 10]
SUMMARY_FORMATS = [WHOLE, None] + [WHOLE] * 12 + [PERCENT]


def _summary_row(rank, name: str, figures: Figures, lead: int, responsible: int) -> list:
    rate = figures.on_time_rate
    return [
        rank,
        name,
        figures.total,
        lead,
        responsible,
        figures.verified,
        figures.completed,
        figures.in_progress,
        figures.returned,
        figures.not_started,
        figures.overdue,
        figures.assessable,
        figures.on_time,
        figures.extended_on_time,
        "—" if rate is None else percent(rate),
    ]


def _summary_rows(units: list[UnitRow]) -> list[list]:
    rows = [
        _summary_row(unit.rank or "", unit.name, unit.all, unit.lead.total, unit.responsible.total)
        for unit in units
    ]
    totals = sum((unit.all for unit in units), Figures())
    lead = sum(unit.lead.total for unit in units)
    rows.append(_summary_row("", "合计", totals, lead, totals.total - lead))
    return rows


NOTES = [
    ["统计口径", "说明"],
    [
        "截至日期",
        "按截至日期当天结束时（北京时间 24 时）各任务的状态统计；历史日期取任务变更记录中当时的状态。",
    ],
    ["已逾期", "截止日期已过（早于截至日期）且尚未核实办结的任务；截止日当天不算逾期。"],
    ["逾期天数", "截至日期减去截止日期的天数。"],
    [
        "按期完成",
        "已核实办结，且被核实的那次“已完成”报送（核实前最后一次报送）在截止日期当天或之前提交；跑改办核实所用的时间不计入单位。"
        "批准延期的任务按原截止日期判断：延期不算按期。",
    ],
    [
        "延期后按期",
        "批准延期的任务，按原截止日期已逾期、按延期后的截止日期按期完成；不计入按期完成和按期完成率。",
    ],
    ["应完成", "截止日期已过的任务，加上截止日期前已核实办结的任务。"],
    ["按期完成率", "按期完成 ÷ 应完成。"],
    ["推进中", "含被退回、正在重新办理的任务（其中退回单列）。"],
    ["进展情况、存在问题、完成进度", "截至日期之前该单位最后一次报送的内容。"],
    [
        "目标达成",
        "跑改办确认的目标；最新数值为牵头单位截至该日报送的最新数值（按截至日期）。≥ 目标：不低于目标值；≤ 目标：不高于目标值；区间：在上下限之间（含）。",
    ],
]


@in_site_language
def monthly_report_workbook(*, plan: Plan, as_of: dt.date, today: dt.date) -> bytes:
    """The 月度通报 workbook: 任务进展 (one row per unit's task), 单位汇总
    (by unit, ranked by on-time rate, with a total), 目标达成 (each confirmed
    target, its latest value and met / not met) and 统计口径."""
    caption = _("%(title)s 月度通报（截至%(date)s）") % {"title": plan.title, "date": cn_date(as_of)}
    units = units_figures(task_states(plan=plan, as_of=as_of, today=today), as_of)
    return write_workbook(
        [
            Sheet(
                title="任务进展",
                caption=caption,
                headers=TASK_HEADERS,
                rows=_task_rows(plan=plan, as_of=as_of, today=today),
                widths=TASK_WIDTHS,
                formats=TASK_FORMATS,
            ),
            Sheet(
                title="单位汇总",
                caption=caption,
                headers=SUMMARY_HEADERS,
                rows=_summary_rows(units),
                widths=SUMMARY_WIDTHS,
                formats=SUMMARY_FORMATS,
            ),
            Sheet(
                title="目标达成",
                caption=caption,
                headers=ATTAINMENT_HEADERS,
                rows=attainment_sheet_rows(plan=plan, as_of=as_of),
                widths=ATTAINMENT_WIDTHS,
            ),
            Sheet(title="统计口径", caption=caption, headers=NOTES[0], rows=NOTES[1:], widths=[20, 90]),
        ]
    )
