"""Template helpers for the portal: Chinese dates, status badges, deadlines;
and for the tags that join long lists in Python (dashboards' tables, the
task page's timeline), plain escaping and URLs by id; a fast <select>."""

import datetime as dt
import html
from functools import cache

from django import template
from django.forms.utils import flatatt
from django.urls import reverse
from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import get_language, ngettext
from django.utils.translation import gettext as _

from indicators.models import Plan
from tasks.models import Task
from xsreform.dates import day_text, moment_text

register = template.Library()


def escape_text(value) -> str:
    """Django's escape() for plain text joined into HTML in Python, without
    its lazy-string wrapper (thousands of calls on a long page)."""
    return html.escape(str(value))


def url_with_id(name: str) -> str:
    """The URL named `name` for one object, with {} for its id: one reverse()
    for a list of links, each then `.format(int(pk))`."""
    return reverse(name, args=[987654321]).replace("987654321", "{}")


@register.simple_tag
def select_field(field) -> SafeString:
    """A form's <select> as Django's widget renders it (the widget's
    attributes, is-invalid on an error), without the widget templates: one
    template per option costs a few milliseconds with 90 plans and 60 units."""
    value = "" if field.value() is None else str(field.value())
    options = "".join(
        f'<option value="{escape_text(key)}"{" selected" if str(key) == value else ""}>{escape_text(label)}</option>'
        for key, label in field.field.choices
    )
    attrs = {"name": field.html_name, **field.field.widget.attrs, "id": field.id_for_label}
    if field.errors:
        attrs["class"] = f"{attrs.get('class', '')} is-invalid".strip()
    return format_html(
        "<select{}>{}</select>",
        flatatt(attrs),
        mark_safe(options),  # noqa: S308 - every key and label through escape_text
    )


STATUS_STYLES = {
    Task.Status.NOT_STARTED: "text-bg-secondary",
    Task.Status.IN_PROGRESS: "text-bg-primary",
    Task.Status.COMPLETED: "text-bg-info",
    Task.Status.VERIFIED: "text-bg-success",
    Task.Status.RETURNED: "text-bg-danger",
}


@register.filter
def label(obj, field_name: str):
    """`obj.get_<field_name>_display()`, from a dict made once per field and
    language: Django's own hashes every (lazy, translated) choice label on
    each call, ~40 µs a row on a list page."""
    value = getattr(obj, field_name)
    return _choice_labels(type(obj), field_name, get_language()).get(value, value)


@cache
def _choice_labels(model, field_name: str, language: str | None) -> dict[str, str]:
    """The field's choice labels as plain text in `language`: a lazy label
    looks its translation up again every time it is used (a few hundred
    lookups on the overview)."""
    return {value: str(text) for value, text in model._meta.get_field(field_name).flatchoices}


@register.filter
def cn_date(value) -> str:
    """A day in the interface language: 2019年7月31日 / 31 Jul 2019
    (xsreform.dates; the name stays from when it was Chinese only)."""
    return day_text(value)


@register.filter
def cn_datetime(value) -> str:
    """2019年7月31日 09:05 / 31 Jul 2019 09:05, in the site's time zone (Asia/Shanghai)."""
    return moment_text(value)


@register.filter
def person(user) -> str:
    if user is None:
        return _("系统")
    return user.get_full_name() or user.username


@register.filter
def task_name(task: Task) -> str:
    """2019 · 36 推进数据共享和一窗受理…: the one way a task is named (Task.name)."""
    return task.name if task else ""


@register.filter
def office_sender(user) -> str:
    """Who in the reform office sent a 催办, the office named once: 跑改办 王老师;
    just the name when it already names the office (跑改办 王老师, not
    跑改办（跑改办 王老师）)."""
    name = person(user)
    office = _("跑改办")
    if user is None or office in name or "跑改办" in name:
        return name
    return f"{office} {name}"


@register.simple_tag
def status_badge(status: str) -> str:
    return format_html(
        '<span class="badge {}">{}</span>',
        STATUS_STYLES.get(status, "text-bg-light"),
        _choice_labels(Task, "status", get_language()).get(status, status),
    )


PLAN_STATUS_STYLES = {
    Plan.Status.DRAFT: "text-bg-light border",
    Plan.Status.CONSULTATION: "text-bg-warning",
    Plan.Status.ACTIVE: "text-bg-success",
    Plan.Status.CLOSED: "text-bg-secondary",
}


@register.simple_tag
def plan_status_badge(plan: Plan) -> str:
    """草案 / 征求意见 / 执行中 / 已结束, beside the plan's name."""
    return format_html(
        '<span class="badge {}" data-plan-status="{}">{}</span>',
        PLAN_STATUS_STYLES.get(plan.status, "text-bg-light"),
        plan.status,
        label(plan, "status"),
    )


@register.simple_tag
def deadline(task: Task, today: dt.date) -> str:
    """Days left or days overdue; nothing once the task is verified."""
    if task.is_closed:
        return ""
    days = task.days_left(today)
    if days < 0:
        late = -days
        return format_html(
            '<span class="badge text-bg-danger">{}</span>',
            ngettext("逾期 %(days)d 天", "逾期 %(days)d 天", late) % {"days": late},
        )
    if days == 0:
        return format_html('<span class="badge text-bg-warning">{}</span>', _("今天到期"))
    style = "text-bg-warning" if days <= 7 else "text-bg-light border"
    return format_html(
        '<span class="badge {}">{}</span>',
        style,
        ngettext("还有 %(days)d 天", "还有 %(days)d 天", days) % {"days": days},
    )


@register.filter
def minutes(value: dt.timedelta) -> int:
    """Whole minutes of a duration, rounded up (for the lockout page)."""
    return -(-int(value.total_seconds()) // 60)


@register.filter
def bootstrap(bound_field):
    """The field's widget with Bootstrap's classes, marked invalid on errors."""
    css = "form-control" + (" is-invalid" if bound_field.errors else "")
    return bound_field.as_widget(attrs={"class": css})


@register.simple_tag(takes_context=True)
def page_query(context, number) -> str:
    """The current address's query string with another page number, so
    paging keeps every filter."""
    query = context["request"].GET.copy()
    query["page"] = number
    return "?" + query.urlencode()


@register.simple_tag(takes_context=True)
def tab_query(context, show) -> str:
    """The current address's query string on another tab, from its first
    page, keeping every other filter."""
    query = context["request"].GET.copy()
    query["show"] = show
    query.pop("page", None)
    return "?" + query.urlencode()
