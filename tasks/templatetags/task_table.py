"""The task list's rows (本单位任务, 全部任务): code, category, the task's
text linked to its page, unit, role, due date and days left, status, the
latest report.

Joined here rather than rendered by template loops: each row is some eighty
template nodes (badges, dates, truncation, translations), 0.6 ms a row —
more than half of a unit's task list page. Every text goes through
escape_text; the rest are numbers, our markup and URLs built from integers."""

from django import template
from django.utils.safestring import SafeString, mark_safe
from django.utils.text import Truncator
from django.utils.translation import gettext as _

from tasks.models import Task

from .portal import cn_date, deadline, escape_text, label, status_badge, url_with_id

register = template.Library()


@register.simple_tag
def task_rows(rows, today, show_unit=False, selectable=False) -> SafeString:
    """The <tr>s of tasks/_task_table.html: `show_unit` adds the unit's
    column, `selectable` a tick box per row (posted by the form "bulk")."""
    e = escape_text
    detail_url = url_with_id("tasks:detail")
    due_word, unreported, returned = e(_("截止")), e(_("未报送")), e(_("退回理由："))
    out = []
    for task in rows:
        indicator, pk = task.indicator, int(task.pk)
        role, due = e(label(task, "role")), e(cn_date(task.due_date))
        days = deadline(task, today)
        cells = []
        if selectable:
            name = _("选择 %(code)s %(unit)s") % {"code": indicator.code, "unit": task.unit.name}
            cells.append(
                f'<td><input class="form-check-input" type="checkbox" name="task" value="{pk}:{int(task.version)}" '
                f'form="bulk" aria-label="{e(name)}"></td>'
            )
        reason = ""
        if task.status == Task.Status.RETURNED and getattr(task, "return_reason", None):
            reason = f'<div class="small text-danger mt-1">{returned}{e(Truncator(task.return_reason).chars(120))}</div>'
        cells.append(
            f'<td class="text-nowrap fw-semibold">{e(indicator.code)}</td>'
            f'<td class="d-none d-lg-table-cell small">{e(indicator.category)}</td>'
            f'<td class="task-text"><a href="{detail_url.format(pk)}" class="link-body-emphasis">'
            f"{e(Truncator(indicator.task_text).chars(90))}</a>"
            f'<div class="d-md-none small text-body-secondary mt-1">{role} · {due_word} {due}</div>{reason}</td>'
        )
        if show_unit:
            cells.append(f'<td class="small text-nowrap">{e(task.unit.name)}</td>')
        style = "text-bg-warning" if task.role == Task.Role.LEAD else "text-bg-light border"
        if task.latest_reported_at:
            latest = (
                f'{int(task.latest_percent)}%<br><span class="text-body-secondary">'
                f"{e(cn_date(task.latest_reported_at))}</span>"
            )
        else:
            latest = f'<span class="text-body-secondary">{unreported}</span>'
        cells.append(
            f'<td class="d-none d-md-table-cell"><span class="badge {style}">{role}</span></td>'
            f'<td class="d-none d-md-table-cell text-nowrap small">{due}<br>{days}</td>'
            f'<td class="text-nowrap">{status_badge(task.status)}<span class="d-md-none"><br>{days}</span></td>'
            f'<td class="d-none d-md-table-cell small text-nowrap">{latest}</td>'
        )
        out.append("<tr>" + "".join(cells) + "</tr>")
    if not out:
        out.append(
            f'<tr><td colspan="9" class="text-center text-body-secondary py-4">{e(_("没有符合条件的任务。"))}</td></tr>'
        )
    return mark_safe("\n".join(out))  # noqa: S308 - every text through escape_text; badges are format_html
