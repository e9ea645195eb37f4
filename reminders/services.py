"""Reminders the portal writes: notices marked read, an e-mail the reform
office sends again (重新发送), the manual reminder (催办) from a task page.
Each queues its delivery after commit; the sweep is reminders.sweep."""

import datetime as dt
import logging
from dataclasses import dataclass

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from departments.models import Unit
from indicators.models import Plan
from tasks.models import Task
from tasks.signals import TaskChange

from . import channels, delivery, dingtalk, jobs
from .models import ChannelSettings, Delivery, Reminder
from .selectors import Status
from .sweep import insert_new
from .workdays import local_date

logger = logging.getLogger(__name__)

Reason = Reminder.Reason


def notices_mark_read(*, pks: list[int], now: dt.datetime) -> int:
    return Reminder.objects.filter(pk__in=pks, read_at=None).update(read_at=now)


@transaction.atomic
def notices_resend(*, reminder: Reminder, user, now: dt.datetime) -> int:
    """重新发送: the reform office decides that an unconfirmed or refused
    e-mail should go out again. Its notices (every one of that e-mail) go
    back to pending and their delivery is queued; a delivery still waiting
    for the server's reply is left alone. Returns how many notices."""
    rows = Reminder.objects.filter(
        Status.condition(Status.UNCONFIRMED, now) | Status.condition(Status.REFUSED, now)
    ).filter(Q(message_id=reminder.message_id) if reminder.message_id else Q(pk=reminder.pk))
    in_flight = dt.timedelta(seconds=settings.REMINDER_CLAIM_TIMEOUT_SECONDS)
    rows = rows.exclude(sent_at=None, sending_at__isnull=False, claimed_at__gte=timezone.now() - in_flight)
    rows = list(rows.select_for_update().values_list("pk", "unit_id", "reason"))
    Reminder.objects.filter(pk__in=[pk for pk, *_ in rows]).update(
        sent_at=None,
        unconfirmed=False,
        sending_at=None,
        failed_at=None,
        claim_token=None,
        claimed_at=None,
        refusals={},
        last_error="",
    )
    if rows:
        logger.info("notices %s queued again by user %s", [pk for pk, *_ in rows], user.pk)
        office = Reminder.OFFICE_REASONS
        for unit_id in sorted({unit_id for _pk, unit_id, reason in rows if reason not in office}):
            transaction.on_commit(lambda unit_id=unit_id: jobs.reminders_deliver_unit.delay(unit_id))
        if any(reason in office for *_, reason in rows):
            transaction.on_commit(lambda: jobs.reminders_deliver_office.delay())
    return len(rows)


def _manual_notice(*, task: Task, user, note: str, now: dt.datetime) -> tuple[Reminder, bool]:
    # Among live notices: a voided one (the task was verified, then returned)
    # neither blocks a new one nor makes get() find two.
    return Reminder.objects.live().get_or_create(
        task=task,
        reason=Reason.MANUAL,
        period=local_date(now).isoformat(),
        defaults={
            "unit_id": task.unit_id,
            "due_date": task.due_date,
            "remind_after": now,
            "created_at": now,
            "sent_by": user,
            "note": note.strip()[:500],
        },
    )


@transaction.atomic
def reminder_create_manual(
    *, task: Task, user, note: str = "", now: dt.datetime | None = None
) -> tuple[Reminder, bool]:
    """The reform office chases the task's unit (催办): one notice, recorded
    like the sweep's and sent at once in the unit's digest. At most one a day
    per task, so a double click sends one; returns (notice, created)."""
    now = now or timezone.now()
    reminder, created = _manual_notice(task=task, user=user, note=note, now=now)
    if created:
        logger.info("manual reminder on task %s by %s", task.pk, user.pk)
        transaction.on_commit(lambda: jobs.reminders_deliver_unit.delay(task.unit_id))
    return reminder, created


@dataclass
class BulkReminders:
    created: list[Reminder]
    already: list[Task]  # chased today already
    skipped: list[Task]  # verified or withdrawn: nothing to chase

    @property
    def unit_ids(self) -> list[int]:
        return sorted({reminder.unit_id for reminder in self.created})


@transaction.atomic
def reminders_create_manual_bulk(
    *, tasks: list[Task], user, note: str = "", now: dt.datetime | None = None
) -> BulkReminders:
    """催办所选: the office chases several tasks at once. Each gets its manual
    notice (one a day per task, as from its page); each unit gets one
    digest, queued once after commit, listing all of its tasks chased."""
    now = now or timezone.now()
    outcome = BulkReminders(created=[], already=[], skipped=[])
    for task in tasks:
        if task.is_closed or not task.is_active:
            outcome.skipped.append(task)
            continue
        reminder, created = _manual_notice(task=task, user=user, note=note, now=now)
        if created:
            outcome.created.append(reminder)
        else:
            outcome.already.append(task)
    for unit_id in outcome.unit_ids:
        transaction.on_commit(lambda unit_id=unit_id: jobs.reminders_deliver_unit.delay(unit_id))
    logger.info(
        "bulk manual reminders by %s: %d notice(s) to %d unit(s), %d already chased today, %d skipped",
        user.pk,
        len(outcome.created),
        len(outcome.unit_ids),
        len(outcome.already),
        len(outcome.skipped),
    )
    return outcome


@transaction.atomic
def notices_void_stale_for_plan(*, plan: Plan, now: dt.datetime | None = None) -> int:
    """After a plan's status changed: cancel its unsent notices that no
    longer apply — every task notice of a plan that stopped running, and the
    notices about the plan itself (a consultation that ended, unowned work
    of a closed plan)."""
    now = now or timezone.now()
    task_ids = list(Task.objects.for_plan(plan).values_list("pk", flat=True))
    count = notices_void_stale(task_ids=task_ids, now=now) if not plan.is_active else 0
    waiting = list(
        Reminder.objects.filter(
            plan=plan, task=None, sent_at=None, voided_at=None, sending_at=None, claim_token=None
        ).select_related("plan")
    )
    for reminder in waiting:
        why = delivery.plan_notice_void_reason(reminder)
        if why:
            Reminder.objects.filter(pk=reminder.pk, sent_at=None, claim_token=None).update(
                voided_at=now, void_reason=why
            )
            count += 1
    return count


@transaction.atomic
def notices_void_stale(*, task_ids: list[int], now: dt.datetime | None = None) -> int:
    """Cancel the unsent notices of these tasks that no longer apply — the
    report came in, the task was verified, its due date moved or it was
    withdrawn — at once, so the unit's 提醒 page stops showing them. Notices
    a delivery has claimed are left to it (it checks the same rules)."""
    now = now or timezone.now()
    waiting = list(
        Reminder.objects.filter(
            task_id__in=task_ids, sent_at=None, voided_at=None, sending_at=None, claim_token=None
        ).select_related("task__indicator__plan", "task__unit")
    )
    stale = delivery.void_reasons(waiting, local_date(now))
    for why in set(stale.values()):
        pks = [pk for pk, reason in stale.items() if reason == why]
        Reminder.objects.filter(pk__in=pks, sent_at=None, claim_token=None).update(
            voided_at=now, void_reason=why
        )
    if stale:
        logger.info(
            "reminders: %d notice(s) of tasks %s cancelled as no longer applying", len(stale), task_ids
        )
    return len(stale)


def change_period(now: dt.datetime) -> str:
    """The period of a change notice: the moment of the change (UTC), so one
    notice per task and change event."""
    return timezone.localtime(now, dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")


@transaction.atomic
def notices_task_changed(*, changes: list[TaskChange], now: dt.datetime | None = None) -> int:
    """任务有变更 / 任务已撤销: one notice per changed task, to its unit, with
    what changed (old → new), recorded in the transaction that made the
    change. It is in the portal at once and goes out with the unit's next
    digest (the sweep's), so a day of edits is one e-mail. A second change
    to the same task at the very same moment joins the first's notice.
    Returns how many notices are new."""
    now = now or timezone.now()
    period = change_period(now)
    rows = [
        Reminder(
            task_id=change.task_id,
            unit_id=change.unit_id,
            reason=Reason.WITHDRAWN if change.withdrawn else Reason.CHANGED,
            period=period,
            due_date=change.due_date,
            remind_after=now,
            created_at=now,
            changes=change.as_json(),
        )
        for change in changes
    ]
    inserted = insert_new(rows)
    if len(inserted) < len(rows):  # the same task changed twice at one moment: one notice
        new = set(Reminder.objects.filter(pk__in=inserted).values_list("task_id", flat=True))
        for row in rows:
            if row.task_id in new:
                continue
            earlier = (
                Reminder.objects.live()
                .select_for_update()
                .get(task_id=row.task_id, reason=row.reason, period=period)
            )
            earlier.changes = _merged(earlier.changes, row.changes)
            earlier.due_date = row.due_date
            earlier.save(update_fields=["changes", "due_date"])
    logger.info("reminders: %d change notice(s) of %d task(s)", len(inserted), len(rows))
    return len(inserted)


def _merged(first: dict, second: dict) -> dict:
    merged = first | second
    if "due_date" in first and "due_date" in second:
        merged["due_date"] = [first["due_date"][0], second["due_date"][1]]
    if "task_text" in first and "task_text" in second:
        merged["task_text"] = [first["task_text"][0], second["task_text"][1]]
    for key in ("units_added", "units_removed"):
        if key in first or key in second:
            merged[key] = sorted({*first.get(key, []), *second.get(key, [])})
    return merged


@transaction.atomic
def notices_void_answered_instruction(
    *, instruction_id: int, unit_id: int, now: dt.datetime | None = None
) -> int:
    """The unit answered the instruction: its unsent 批示待回复 notice is
    cancelled at once (one a delivery has claimed is left to it: it checks
    the same rule)."""
    now = now or timezone.now()
    count = Reminder.objects.filter(
        instruction_id=instruction_id,
        unit_id=unit_id,
        reason=Reason.INSTRUCTION,
        sent_at=None,
        voided_at=None,
        sending_at=None,
        claim_token=None,
    ).update(voided_at=now, void_reason="单位已回复批示")
    if count:
        logger.info(
            "reminders: instruction %s answered by unit %s, notice cancelled", instruction_id, unit_id
        )
    return count


@transaction.atomic
def notices_plan_adopted(*, plan: Plan, now: dt.datetime | None = None) -> int:
    """计划已通过执行: one notice to each unit with a task in the plan, recorded
    once (the constraint on unit, reason and period turns a second one
    away), and its delivery queued after commit. Returns how many were new."""
    now = now or timezone.now()
    unit_ids = Task.objects.for_plan(plan).active().order_by("unit_id").values_list("unit_id", flat=True)
    rows = [
        Reminder(
            plan=plan,
            unit_id=unit_id,
            reason=Reason.PLAN_ADOPTED,
            period=str(plan.year),
            remind_after=now,
            created_at=now,
        )
        for unit_id in dict.fromkeys(unit_ids)
    ]
    inserted = insert_new(rows)
    units = sorted(Reminder.objects.filter(pk__in=inserted).values_list("unit_id", flat=True))
    for unit_id in units:
        transaction.on_commit(lambda unit_id=unit_id: jobs.reminders_deliver_unit.delay(unit_id))
    logger.info("plan %s adopted: %d unit(s) notified", plan.year, len(units))
    return len(units)


@transaction.atomic
def channel_settings_update(*, unit: Unit | None, data: dict, user) -> ChannelSettings:
    """The office saves a unit's (None: its own) channels. A blank webhook or
    secret keeps the stored one. What a refused configuration held back is
    tried again with the new settings (after commit)."""
    config, _created = ChannelSettings.objects.select_for_update().get_or_create(
        unit=unit, office=unit is None
    )
    config.dingtalk_enabled = data["dingtalk_enabled"]
    config.sms_enabled = data["sms_enabled"]
    config.mobiles = data["mobiles"]
    if data.get("webhook"):
        config.set_webhook(data["webhook"])
    if data.get("secret"):
        config.set_secret(data["secret"])
    config.updated_at, config.updated_by = timezone.now(), user
    config._history_user = user
    config.save()
    unit_id = unit.pk if unit else None
    held = 0
    for channel in channels.enabled_channels(unit_id):
        held += (
            channels._rows(channel, unit_id)
            .filter(status=Delivery.Status.CONFIG_ERROR)
            .update(status=Delivery.Status.PENDING, retry_after=None, last_error="", attempts=0)
        )
        transaction.on_commit(lambda c=channel: jobs.reminders_deliver_channel.delay(c, unit_id))
    logger.info(
        "channel settings of %s changed by user %s; %d delivery(ies) held by a configuration error queued again",
        config,
        user.pk,
        held,
    )
    return config


def channel_send_test(*, config: ChannelSettings) -> dingtalk.Answer:
    """发送测试消息: a short message to the robot, not recorded as a delivery.
    Raises dingtalk.NotSent / NoAnswer."""
    with translation.override(settings.LANGUAGE_CODE):
        title = _("【测试消息】改革任务提醒")
        text = _("#### 【测试消息】改革任务提醒\n\n%(who)s的钉钉群机器人已接通，以后的提醒会发到本群。") % {
            "who": str(config)
        }
    payload = dingtalk.markdown_payload(title=title, text=text, mobiles=config.mobile_list)
    answer = dingtalk.post(
        dingtalk.signed_url(config.webhook, config.secret), payload, timeout=settings.DINGTALK_TIMEOUT
    )
    logger.info("test message to the robot of %s: errcode %s", config, answer.errcode)
    return answer
