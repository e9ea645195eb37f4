"""The digest e-mail: what one delivery says, in Chinese, as text and HTML
(templates/reminders/email/). At most REMINDER_DIGEST_MAX_ITEMS items, the most
pressing first; every notice counted; a link to the full list in the
portal; the reform office's escalations also counted unit by unit. The
Message-ID is derived from the notices, the same for the same notices."""

import datetime as dt
import hashlib
from collections import Counter, defaultdict
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.core.mail.utils import DNS_NAME
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation

from tasks.models import Task, site_timezone

from .models import Reminder

if TYPE_CHECKING:
    from .delivery import Digest

Reason = Reminder.Reason
# The order of the sections in a digest, and of the items a capped digest keeps.
DIGEST_ORDER = [
    Reason.MANUAL,
    Reason.OVERDUE,
    Reason.ESCALATION,
    Reason.DUE_SOON,
    Reason.REPORT_MISSING,
    Reason.CHANGED,
    Reason.WITHDRAWN,
]
# Told what changed (tasks.changes): an item says old → new.
CHANGE_REASONS = (Reason.CHANGED, Reason.WITHDRAWN)


def _absolute(path: str) -> str:
    return f"{settings.SITE_URL}{path}"


def message_id(reminders: list[Reminder]) -> str:
    """The same notices, the same Message-ID: a digest that reaches a mailbox
    twice (a retry after an unconfirmed send, a re-send by hand) is shown
    once by mail clients that merge duplicates."""
    pks = ",".join(str(pk) for pk in sorted(r.pk for r in reminders))
    host = urlsplit(settings.SITE_URL).hostname or DNS_NAME.get_fqdn()
    return f"<digest-{hashlib.sha256(pks.encode()).hexdigest()}@{host}>"


def _item(reminder: Reminder, today: dt.date) -> dict:
    task, indicator = reminder.task, reminder.task.indicator
    return {
        "reminder": reminder,
        "code": indicator.code,
        "category": indicator.category,
        "task_text": indicator.task_text,
        "deadline_label": indicator.deadline_label,
        "report_day": indicator.plan.report_day,
        "due_date": task.due_date,
        "unit": task.unit.name,
        # Text, not lazy: rendered twice; get_status_display() hashes every choice, translated.
        "status": str(Task.Status(task.status).label),
        "awaits_review": task.status == Task.Status.COMPLETED,
        "days_late": (today - task.due_date).days,
        "days_left": (task.due_date - today).days,
        "url": _absolute(reverse("tasks:detail", args=[task.pk])),
    }


def _plan_item(reminder: Reminder, today: dt.date) -> dict:
    """A notice about a plan (征求意见, 计划通过, 无人承接), not a task."""
    return {
        "reminder": reminder,
        "reason": reminder.reason,
        "label": reminder.get_reason_display(),
        "plan": reminder.plan,
        "due_date": reminder.due_date,
        "days_left": (reminder.due_date - today).days if reminder.due_date else None,
        "note": reminder.note,
        "url": _absolute(reminder.get_absolute_url()),
    }


def _by_unit(reminders: list[Reminder], today: dt.date, limit: int) -> dict:
    """The escalations unit by unit: the units with the most first."""
    units = defaultdict(list)
    for reminder in reminders:
        units[reminder.task.unit.name].append(reminder.task.due_date)
    rows = sorted(
        (
            {"unit": name, "count": len(dues), "days_late": (today - min(dues)).days}
            for name, dues in units.items()
        ),
        key=lambda row: (-row["count"], -row["days_late"], row["unit"]),
    )
    rest = rows[limit:]
    return {"units": rows[:limit], "units_more": len(rest), "units_more_items": sum(r["count"] for r in rest)}


def digest_context(digest: "Digest", *, now: dt.datetime) -> dict:
    """At most REMINDER_DIGEST_MAX_ITEMS items, the most pressing first (by
    section, then the earliest due date); every notice counted by reason,
    a task's changes (任务有变更) as one item that lists them all; a
    link to the full list in the portal. The notices left out are delivered
    all the same: the digest tells of them, by count and link. Built in the
    digest's language (`digest_message`): its labels are text already."""
    today = timezone.localtime(now, site_timezone()).date()
    limit = settings.REMINDER_DIGEST_MAX_ITEMS
    # Notices about a plan come first, all of them: there are a few at most.
    plan_notices = [
        _plan_item(r, today) for r in sorted(digest.reminders, key=lambda r: r.pk) if not r.task_id
    ]
    task_notices = [r for r in digest.reminders if r.task_id]
    # Several changes to one task (任务有变更): one item, every change in order.
    changes: dict[tuple[str, int], list[Reminder]] = {}
    entries = []
    for reminder in sorted(task_notices, key=lambda r: r.pk):
        if reminder.reason in CHANGE_REASONS:
            key = (reminder.reason, reminder.task_id)
            if key in changes:
                changes[key].append(reminder)
                continue
            changes[key] = [reminder]
        entries.append(reminder)
    ordered = sorted(
        entries,
        key=lambda r: (DIGEST_ORDER.index(r.reason), r.task.due_date, r.task.indicator.position, r.pk),
    )
    shown = defaultdict(list)
    for reminder in ordered[:limit]:
        item = _item(reminder, today)
        if reminder.reason in CHANGE_REASONS:
            item["changes"] = [
                line for r in changes[(reminder.reason, reminder.task_id)] for line in r.change_lines()
            ]
        shown[reminder.reason].append(item)
    totals = Counter(r.reason for r in entries)
    sections = [
        {
            "reason": reason,
            "label": str(Reason(reason).label),
            "items": shown[reason],
            "total": totals[reason],
        }
        for reason in DIGEST_ORDER
        if totals[reason]
    ]
    if digest.unit:
        full_list = reverse("reminders:notices")
    else:
        reason = Reason.ESCALATION if task_notices else Reason.UNOWNED
        full_list = f"{reverse('reminders:notice_log')}?reason={reason}"
    context = {
        "unit": digest.unit,
        "today": today,
        "month": today.month,
        "plan_notices": plan_notices,
        "sections": sections,
        "count": len(entries),
        "listed": min(limit, len(entries)),
        "more": max(0, len(entries) - limit),
        "site_url": settings.SITE_URL,
        "notices_url": _absolute(full_list),
    }
    if not digest.unit:
        context.update(_by_unit(task_notices, today, limit))
    return context


def digest_message(digest: "Digest", *, now: dt.datetime) -> EmailMultiAlternatives:
    name = "reminder_digest" if digest.unit else "escalation_digest"
    with translation.override(settings.LANGUAGE_CODE):
        context = digest_context(digest, now=now)
        subject = " ".join(render_to_string(f"reminders/email/{name}_subject.txt", context).split())
        text = render_to_string(f"reminders/email/{name}.txt", context)
        html = render_to_string(f"reminders/email/{name}.html", context)
    message = EmailMultiAlternatives(
        subject,
        text,
        settings.DEFAULT_FROM_EMAIL,
        digest.recipients,
        headers={"Message-ID": message_id(digest.reminders)},
    )
    message.attach_alternative(html, "text/html")
    return message
