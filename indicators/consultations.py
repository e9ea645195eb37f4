"""The consultation (征求意见) on a draft plan: the units' answers, the
office's decisions on them, and the deadline step the sweep runs
("逾期不反馈视作无意见"). Opening a consultation is a change of the plan's
status and lives with the others in indicators.services
(`plan_consultation_open`). Each function here runs in a transaction."""

import datetime as dt
import logging

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from departments.models import Unit
from xsreform.dates import day_text

from .models import Consultation, ConsultationAnswer, Indicator
from .selectors import consultation_unit_items, plan_unit_ids

logger = logging.getLogger(__name__)

Kind = ConsultationAnswer.Kind
DEEMED_TEXT = "逾期未反馈，视作无意见"


@transaction.atomic
def consultation_answer(
    *,
    consultation: Consultation,
    unit: Unit,
    user,
    indicator: Indicator | None = None,
    kind: str,
    text: str = "",
    proposed_due_date: dt.date | None = None,
    proposed_units: str = "",
    now: dt.datetime | None = None,
) -> ConsultationAnswer:
    """The unit's answer on one of its items, or (indicator None) on the
    whole plan: 无意见, or 修改意见 with its text and, optionally, a
    proposed due date or change of units. Until the deadline (that day
    included) the unit may change it: the answer is replaced, and a decision
    the office made on the old one is cleared. One answer per unit and item,
    even when two people send at once (the constraint decides; the second
    becomes a change of the first)."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    consultation = Consultation.objects.select_related("plan").get(pk=consultation.pk)
    if not consultation.accepts_answers(today):
        raise ValidationError(
            _("征求意见已于%(date)s截止，反馈不能再提交或修改。") % {"date": day_text(consultation.deadline)},
            code="closed",
        )
    if unit.pk not in plan_unit_ids(consultation.plan):
        raise ValidationError(_("本单位不在该计划的征求意见范围内。"), code="unit")
    if indicator is not None and indicator.pk not in consultation_unit_items(consultation.plan, unit):
        raise ValidationError(
            _("只能对本单位承担的指标逐项反馈；其他意见请对整个计划反馈。"), code="indicator"
        )
    if kind not in (Kind.NO_OBJECTION, Kind.COMMENT):
        raise ValidationError(_("反馈只能是无意见或修改意见。"), code="kind")
    text, proposed_units = text.strip(), proposed_units.strip()
    if kind == Kind.COMMENT and not text:
        raise ValidationError(_("提出修改意见时请填写意见内容。"), code="text")
    if kind == Kind.NO_OBJECTION:
        text, proposed_due_date, proposed_units = "", None, ""

    values = {
        "kind": kind,
        "text": text,
        "proposed_due_date": proposed_due_date,
        "proposed_units": proposed_units,
        "answered_by": user,
        "answered_at": now,
        "decision": "",
        "reply": "",
        "decided_by": None,
        "decided_at": None,
    }
    key = {"consultation": consultation, "unit": unit, "indicator": indicator}
    answer = ConsultationAnswer.objects.select_for_update().filter(**key).order_by().first()
    if answer is None:
        answer = ConsultationAnswer(**key, **values)
        answer._history_user = user
        try:
            with transaction.atomic():
                answer.save()
        except IntegrityError:  # someone of the unit answered a moment earlier
            answer = ConsultationAnswer.objects.select_for_update().order_by().get(**key)
    if answer.pk and any(getattr(answer, name) != value for name, value in values.items()):
        for name, value in values.items():
            setattr(answer, name, value)
        answer._history_user = user
        answer.save()
    logger.info(
        "consultation %s: %s answered %s on %s",
        consultation.pk,
        unit.pk,
        kind,
        indicator.code if indicator else "the plan",
    )
    return answer


@transaction.atomic
def consultation_decide(
    *, answer: ConsultationAnswer, user, decision: str, reply: str = "", now: dt.datetime | None = None
) -> ConsultationAnswer:
    """The office's word on a comment: 采纳, 部分采纳 or 不采纳, with a reply
    the unit sees (needed unless it is adopted as written)."""
    answer = (
        ConsultationAnswer.objects.select_for_update().select_related("consultation__plan").get(pk=answer.pk)
    )
    if answer.kind != Kind.COMMENT:
        raise ValidationError(_("只有修改意见需要处理。"), code="kind")
    if answer.consultation.plan.is_closed:
        raise ValidationError(_("计划已结束，不能再处理意见。"), code="closed")
    if decision not in ConsultationAnswer.Decision.values:
        raise ValidationError(_("处理结果只能是采纳、部分采纳或不采纳。"), code="decision")
    reply = reply.strip()
    if decision != ConsultationAnswer.Decision.ADOPTED and not reply:
        raise ValidationError(_("部分采纳或不采纳时请填写答复，单位将看到答复。"), code="reply")
    answer.decision, answer.reply = decision, reply
    answer.decided_by, answer.decided_at = user, now or timezone.now()
    answer._history_user = user
    if now:
        answer._history_date = now
    answer.save(update_fields=["decision", "reply", "decided_by", "decided_at"])
    return answer


def consultation_record_deemed(*, consultation: Consultation, now: dt.datetime) -> int:
    """At the deadline: every unit asked that has given no answer at all is
    recorded as "逾期未反馈，视作无意见" (one answer on the whole plan). Once
    per unit, whatever runs it and however often: each row is inserted in a
    savepoint and the constraint on (consultation, unit) for whole-plan
    answers turns a second one away — a concurrent sweep's insert waits for
    the first to commit, then fails and is skipped. Returns how many units
    this call recorded."""
    asked = plan_unit_ids(consultation.plan)
    answered = set(
        ConsultationAnswer.objects.filter(consultation=consultation).values_list("unit_id", flat=True)
    )
    recorded = 0
    with transaction.atomic():
        for unit_id in sorted(asked - answered):
            answer = ConsultationAnswer(
                consultation=consultation,
                unit_id=unit_id,
                indicator=None,
                kind=Kind.DEEMED,
                text=DEEMED_TEXT,
                answered_at=now,
            )
            try:
                with transaction.atomic():
                    answer.save()
            except IntegrityError:
                continue
            recorded += 1
        Consultation.objects.filter(pk=consultation.pk, deemed_at=None).update(deemed_at=now)
    if recorded:
        logger.info(
            "consultation %s: %d unit(s) recorded as no objection (no answer)", consultation.pk, recorded
        )
    return recorded


def consultations_past_deadline(*, today: dt.date):
    """Open consultations whose deadline has passed (the day after it on)."""
    return Consultation.objects.filter(closed_at=None, deadline__lt=today).select_related("plan")
