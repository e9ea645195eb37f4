"""目标核对's rows, joined in Python: each target is a row with four small
forms (confirm, delete, restore, edit), some sixty template nodes, and the
template engine took ~40 ms for a plan's 40 targets (the page's floor is
~3 ms); joined here it takes a few. Every text goes through html.escape,
every number through its own formatting; the labels are translated once."""

import html

from django import template
from django.middleware.csrf import get_token
from django.template.defaultfilters import floatformat
from django.urls import reverse
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from indicators.models import Target
from xsreform.dates import day_text

register = template.Library()

STATUS_STYLES = {Target.Status.CONFIRMED: "text-bg-success", Target.Status.DELETED: "text-bg-secondary"}
# The buttons under each row: (action, the status that hides it, button style, label)
BUTTONS = [
    ("confirm", Target.Status.CONFIRMED, "btn-success", gettext_lazy("确认")),
    ("delete", Target.Status.DELETED, "btn-outline-danger", gettext_lazy("删除")),
    ("restore", Target.Status.PROPOSED, "btn-outline-secondary", gettext_lazy("恢复为建议")),
]


def _number(value) -> str:
    return "" if value is None else floatformat(value, "-4")


@register.simple_tag(takes_context=True)
def target_rows(context, targets, *, plan, can_act: bool, status: str) -> SafeString:
    """The <tr>s of the targets table; with can_act, the office's forms
    (their hidden `status` brings the office back to the filter it used)."""
    e = html.escape
    placeholder = "987654321"
    urls = {
        name: reverse(f"plans:target_{name}", args=[plan.year, placeholder])
        for name in ("edit", "confirm", "delete", "restore")
    }
    statuses = {value: str(label) for value, label in Target.Status.choices}
    directions = [(value, e(str(label))) for value, label in Target.Direction.choices]
    # Only a page with the office's forms has (and needs) a CSRF token.
    form_head = ""
    if can_act:
        form_head = (
            f'<input type="hidden" name="csrfmiddlewaretoken" value="{e(get_token(context["request"]))}">'
            f'<input type="hidden" name="status" value="{e(status)}">'
        )
    implied = f' <span class="badge text-bg-info">{e(_("文字推断"))}</span>'
    changed = f'<div class="text-danger">{e(_("原文已改，请核对"))}</div>'
    buttons = [(action, hidden_on, style, e(str(text))) for action, hidden_on, style, text in BUTTONS]
    field = (
        '<label class="form-label mb-0">{}<input class="form-control form-control-sm" name="{}"{}></label>'
    )
    rows = []
    for t in targets:
        pk = str(int(t.pk))
        confirmed = ""
        if t.status == Target.Status.CONFIRMED:
            who = t.confirmed_by.get_full_name() or t.confirmed_by.username if t.confirmed_by else _("系统")
            confirmed = f'<div class="text-body-secondary">{e(who)} · {e(day_text(t.confirmed_at))}</div>'
            if not t.quote_in_text:
                confirmed += changed
        row = (
            f'<tr id="target-{pk}" data-status="{e(t.status)}"><td>{e(t.indicator.code)}</td><td>{e(t.name)}</td>'
            f'<td class="text-nowrap">{e(t.goal_display)}</td>'
            f'<td class="small">“{e(t.quote)}”{implied if t.implied else ""}</td>'
            f'<td class="small"><span class="badge {STATUS_STYLES.get(t.status, "text-bg-warning")}">'
            f"{e(statuses.get(t.status, t.status))}</span>{confirmed}</td>"
        )
        if can_act:
            forms = "".join(
                f'<form method="post" action="{e(urls[action].replace(placeholder, pk))}">{form_head}'
                f'<button class="btn {style} btn-sm" type="submit">{text}</button></form>'
                for action, hidden_on, style, text in buttons
                if t.status != hidden_on
            )
            options = "".join(
                f'<option value="{e(value)}"{" selected" if value == t.direction else ""}>{text}</option>'
                for value, text in directions
            )
            row += (
                f'<td class="small"><div class="d-flex flex-wrap gap-1">{forms}</div>'
                f'<details class="mt-1"><summary>{e(_("修改"))}</summary>'
                f'<form method="post" action="{e(urls["edit"].replace(placeholder, pk))}" class="mt-1" '
                f'style="min-width: 16rem">{form_head}'
                + field.format(e(_("目标名称")), "name", f' value="{e(t.name)}" maxlength="200" required')
                + f'<label class="form-label mb-0">{e(_("方向"))}'
                f'<select class="form-select form-select-sm" name="direction">{options}</select></label>'
                + field.format(e(_("目标值")), "value", f' inputmode="decimal" value="{e(_number(t.value))}"')
                + '<div class="d-flex gap-1">'
                + field.format(
                    e(_("下限")), "value_min", f' inputmode="decimal" value="{e(_number(t.value_min))}"'
                )
                + field.format(
                    e(_("上限")), "value_max", f' inputmode="decimal" value="{e(_number(t.value_max))}"'
                )
                + "</div>"
                + field.format(e(_("单位")), "unit", f' value="{e(t.unit)}" maxlength="20" required')
                + f'<button class="btn btn-primary btn-sm mt-1" type="submit">{e(_("保存"))}</button>'
                "</form></details></td>"
            )
        rows.append(row + "</tr>")
    return mark_safe("\n".join(rows))  # noqa: S308 - every text through html.escape
