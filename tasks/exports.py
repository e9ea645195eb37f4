"""全部任务 as a workbook: the rows of the filtered list, written through the
project's safe writer (indicators.xlsx: text never becomes a formula),
percentages and days as numbers, in Chinese whatever the interface language."""

import datetime as dt

from django.utils.translation import gettext as _

from indicators.models import Plan
from indicators.xlsx import WHOLE, WHOLE_PERCENT, Sheet, in_site_language, percent, write_workbook

from .templatetags.portal import cn_date

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def task_list_filename(*, plan: Plan | None, today: dt.date) -> str:
    year = f"{plan.year}-" if plan else ""
    return f"全部任务-{year}{today:%Y%m%d}.xlsx"


@in_site_language
def task_list_workbook(*, rows, today: dt.date, title: str) -> bytes:
    """`rows`: tasks with indicator, unit and the latest report annotated
    (tasks.selectors.task_list)."""
    headers = [
        _("序号"),
        _("指标名称"),
        _("目标任务"),
        _("单位"),
        _("角色"),
        _("截止日期"),
        _("状态"),
        _("完成进度"),
        _("最近报送"),
        _("逾期天数"),
        _("退回理由"),
    ]
    body = []
    for task in rows:
        overdue = -task.days_left(today) if task.is_overdue(today) else None
        body.append(
            [
                task.indicator.code,
                task.indicator.category,
                task.indicator.task_text,
                task.unit.name,
                task.get_role_display(),
                cn_date(task.due_date),
                task.get_status_display(),
                percent(task.latest_percent),
                cn_date(task.latest_reported_at),
                overdue,
                task.return_reason or "",
            ]
        )
    caption = _("%(title)s 全部任务（%(date)s导出）") % {"title": title, "date": cn_date(today)}
    return write_workbook(
        [
            Sheet(
                title=_("全部任务"),
                caption=caption,
                headers=headers,
                rows=body,
                widths=[6, 14, 60, 16, 6, 14, 8, 8, 14, 8, 30],
                formats=[None] * 7 + [WHOLE_PERCENT, None, WHOLE, None],
            )
        ]
    )
