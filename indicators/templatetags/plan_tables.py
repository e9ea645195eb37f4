"""The rows of the plan's long tables with a form on each row, joined in
Python: 目标核对 (four small forms per target, some sixty template nodes: the
template engine took ~40 ms for a plan's 40 targets, the page's floor is
~3 ms) and 征求意见反馈 (the office's decision form on each comment, 50 to
a page). Joined here they take a few. Every text goes through html.escape,
every number through its own formatting; the labels are translated once."""

import html

from django import template
from django.middleware.csrf import get_token
from django.template.defaultfilters import floatformat
from django.urls import reverse
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from indicators.models import ConsultationAnswer, Target
from xsreform.dates import day_text, moment_text

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


def _person(user) -> str:
    """As the portal's `person` filter: the name, else the login, else 系统."""
    return (user.get_full_name() or user.username) if user else _("系统")


def _form_head(context, **hidden: str) -> str:
    """A row form's CSRF token and hidden fields (those with a value)."""
    fields = [("csrfmiddlewaretoken", get_token(context["request"])), *hidden.items()]
    return "".join(
        f'<input type="hidden" name="{name}" value="{html.escape(value)}">' for name, value in fields if value
    )


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
    form_head = _form_head(context, status=status) if can_act else ""
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
            confirmed = f'<div class="text-body-secondary">{e(_person(t.confirmed_by))} · {e(day_text(t.confirmed_at))}</div>'
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


@register.simple_tag(takes_context=True)
def feedback_rows(context, answers, *, plan, can_act: bool, kind: str) -> SafeString:
    """The <tr>s of 征求意见反馈: each answer, and on a comment its decision
    and, with can_act, the office's form (its hidden `kind` brings the
    office back to the filter it used)."""
    e = html.escape
    placeholder = "987654321"
    decide_url = reverse("plans:decide", args=[plan.year, placeholder])
    kinds = {value: e(str(label)) for value, label in ConsultationAnswer.Kind.choices}
    decisions = [(value, e(str(label))) for value, label in ConsultationAnswer.Decision.choices]
    decision_labels = dict(decisions)
    form_head = _form_head(context, kind=kind) if can_act else ""
    whole_plan, due_label, units_label = e(_("整个计划")), e(_("建议截止日期")), e(_("建议调整责任单位"))
    form_labels = (e(_("处理结果")), e(_("答复（单位可见）")), e(_("保存处理")))
    rows = []
    for a in answers:
        pk = str(int(a.pk))
        comment = a.kind == ConsultationAnswer.Kind.COMMENT
        said = decided = ""
        if comment:
            said = f'<span class="prewrap">{e(a.text)}</span>'
            if a.proposed_due_date:
                said += f"<div>{due_label}：{e(day_text(a.proposed_due_date))}</div>"
            if a.proposed_units:
                said += f"<div>{units_label}：{e(a.proposed_units)}</div>"
            if a.decision:
                reply = f'：<span class="prewrap">{e(a.reply)}</span>' if a.reply else ""
                decided = (
                    f"<div><strong>{decision_labels.get(a.decision, e(a.decision))}</strong>{reply}"
                    f'<div class="text-body-secondary">{e(_person(a.decided_by))} · '
                    f"{e(moment_text(a.decided_at))}</div></div>"
                )
            if can_act:
                options = "".join(
                    f'<option value="{e(value)}"{" selected" if a.decision == value else ""}>{text}</option>'
                    for value, text in decisions
                )
                decided += (
                    f'<form method="post" action="{e(decide_url.replace(placeholder, pk))}" class="mt-1">'
                    f'{form_head}<select class="form-select form-select-sm mb-1" name="decision" '
                    f'aria-label="{form_labels[0]}">{options}</select>'
                    f'<textarea class="form-control form-control-sm mb-1" name="reply" rows="2" maxlength="5000" '
                    f'placeholder="{form_labels[1]}">{e(a.reply)}</textarea>'
                    f'<button class="btn btn-sm btn-outline-primary" type="submit">{form_labels[2]}</button></form>'
                )
        rows.append(
            f'<tr id="answer-{pk}" data-kind="{e(a.kind)}">'
            f'<td class="text-nowrap">{e(a.indicator.code) if a.indicator_id else whole_plan}</td>'
            f'<td class="text-nowrap">{e(a.unit.name)}</td>'
            f'<td class="text-nowrap">{kinds.get(a.kind, e(a.kind))}</td>'
            f'<td>{said}<div class="text-body-secondary">{e(_person(a.answered_by))} · '
            f"{e(moment_text(a.answered_at))}</div></td>"
            f'<td style="min-width: 16rem">{decided}</td></tr>'
        )
    if not rows:
        rows.append(f'<tr><td colspan="5" class="text-body-secondary">{e(_("还没有反馈。"))}</td></tr>')
    return mark_safe("\n".join(rows))  # noqa: S308 - every text through html.escape
