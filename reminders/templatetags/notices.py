"""Template helpers for reminders: the navigation bar's unread count, the
status of a notice, the last 催办 on a task."""

from django import template
from django.utils import timezone
from django.utils.html import format_html

from reminders import selectors
from tasks import access

register = template.Library()

STATUS_STYLES = {
    selectors.Status.SENT: "text-bg-success",
    selectors.Status.UNCONFIRMED: "text-bg-info",
    selectors.Status.PORTAL: "text-bg-secondary",
    selectors.Status.PENDING: "text-bg-warning",
    selectors.Status.FAILED: "text-bg-danger",
    selectors.Status.REFUSED: "text-bg-danger",
    selectors.Status.SCHEDULED: "text-bg-light border",
    selectors.Status.VOID: "text-bg-light border text-decoration-line-through",
}


@register.simple_tag(takes_context=True)
def unread_notice_count(context) -> int:
    """One COUNT for staff; nothing for users without a unit."""
    request = context.get("request")
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return 0
    return selectors.unread_count(unit_ids=access.unit_ids(user), now=timezone.now())


@register.simple_tag
def notice_status(reminder, now=None) -> str:
    status = reminder.status(now)
    return format_html(
        '<span class="badge {}">{}</span>',
        STATUS_STYLES.get(status, "text-bg-light"),
        selectors.Status.LABELS[status],
    )


@register.simple_tag
def notice_resendable(reminder, now=None) -> bool:
    return reminder.status(now) in selectors.Status.RESENDABLE


@register.simple_tag
def last_manual_reminder(task):
    return selectors.last_manual_reminder(task)
