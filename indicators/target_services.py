"""Writes on targets (indicators.models.Target): proposing them from the
task texts on import (targets_sync), and the office's decisions on them —
confirm, edit, delete, restore — each with who and when in the history.
Every function here runs in a transaction."""

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from simple_history.utils import bulk_create_with_history, bulk_update_with_history

from .models import Indicator, Plan, Target
from .targets import Proposal, targets_propose


@dataclass
class TargetChange:
    """One target read from an indicator's text, and what the import made of it."""

    NEW = "new"  # proposed now
    PROPOSED = "proposed"  # proposed before, still waiting for the office
    CONFIRMED = "confirmed"  # the office confirmed it: kept as confirmed
    DELETED = "deleted"  # the office deleted it: not proposed again
    KNOWN = (PROPOSED, CONFIRMED)

    proposal: Proposal
    outcome: str


@transaction.atomic
def targets_sync(*, plan: Plan, user=None) -> dict[str, list[TargetChange]]:
    """Propose the targets read from each indicator's text (indicators/targets),
    remembering what the office did with earlier proposals:

    - a reading already proposed, confirmed or deleted (same key) is left as
      it is: confirmed targets are not duplicated, deleted ones come back only
      if the office restores them;
    - a new reading is proposed;
    - a proposal whose reading is gone from a changed text is removed (nobody
      had decided on it); a confirmed target whose quote is gone stays, and
      shows as 原文已改，待核对 (Target.objects.needing_review()) until the
      office edits or deletes it.

    Run by the import, inside its transaction; an unchanged text changes nothing."""
    indicators = list(
        Indicator.objects.filter(plan=plan).only("pk", "code", "task_text").order_by("position")
    )
    existing: dict[tuple[int, str], Target] = {
        (t.indicator_id, t.key): t for t in Target.objects.filter(indicator__plan=plan)
    }
    changes: dict[str, list[TargetChange]] = {}
    to_create, to_update, wanted = [], [], set()
    for indicator in indicators:
        changes[indicator.code] = []
        for position, proposal in enumerate(targets_propose(indicator.task_text)):
            wanted.add((indicator.pk, proposal.key))
            target = existing.get((indicator.pk, proposal.key))
            if target is None:
                target = Target(indicator=indicator, key=proposal.key, position=position)
                _target_read(target, proposal)
                to_create.append(target)
                outcome = TargetChange.NEW
            else:
                outcome = target.status
                if target.status == Target.Status.PROPOSED and (target.quote, target.position) != (
                    proposal.quote,
                    position,
                ):
                    target.quote, target.position = proposal.quote, position
                    to_update.append(target)
            changes[indicator.code].append(TargetChange(proposal, outcome))
    gone = [
        t.pk
        for (pk, key), t in existing.items()
        if (pk, key) not in wanted and t.status == Target.Status.PROPOSED
    ]
    if gone:
        for target in Target.objects.filter(pk__in=gone):
            target._history_user = user
            target.delete()  # one by one: history records each removal
    bulk_update_with_history(to_update, Target, ["quote", "position"], batch_size=500, default_user=user)
    bulk_create_with_history(to_create, Target, batch_size=500, default_user=user)
    return changes


def _target_read(target: Target, proposal: Proposal) -> None:
    target.name = proposal.name[:200]
    target.direction = proposal.direction
    target.value, target.value_min, target.value_max = proposal.value, proposal.value_min, proposal.value_max
    target.unit = proposal.unit
    target.quote = proposal.quote[:500]
    target.implied = proposal.implied


@transaction.atomic
def target_confirm(*, targets, user, now: dt.datetime | None = None) -> int:
    """The office confirms targets (proposed, or deleted by mistake): from now
    on units report their values. Already confirmed ones keep who and when.
    `now` (default: the clock) dates the confirmation (the demo)."""
    now = now or timezone.now()
    changed = list(_locked(targets).exclude(status=Target.Status.CONFIRMED))
    for target in changed:
        target.status, target.confirmed_by, target.confirmed_at = Target.Status.CONFIRMED, user, now
    bulk_update_with_history(
        changed,
        Target,
        ["status", "confirmed_by", "confirmed_at"],
        batch_size=500,
        default_user=user,
        default_date=now,
    )
    return len(changed)


@transaction.atomic
def target_delete(*, targets, user) -> int:
    """Not a target after all: kept as 已删除, so that importing the same text
    again does not propose it again."""
    return _target_set_status(targets=targets, status=Target.Status.DELETED, user=user)


@transaction.atomic
def target_restore(*, targets, user) -> int:
    """Back to a proposal (a confirmation or deletion made by mistake)."""
    return _target_set_status(targets=targets, status=Target.Status.PROPOSED, user=user)


def _locked(targets):
    # By primary key: the admin's list joins the (nullable) confirming user,
    # which FOR UPDATE cannot lock.
    return Target.objects.select_for_update().filter(pk__in=targets.values("pk"))


def _target_set_status(*, targets, status, user) -> int:
    changed = list(_locked(targets).exclude(status=status))
    for target in changed:
        target.status, target.confirmed_by, target.confirmed_at = status, None, None
    bulk_update_with_history(
        changed, Target, ["status", "confirmed_by", "confirmed_at"], batch_size=500, default_user=user
    )
    return len(changed)


@transaction.atomic
def target_update(
    *,
    target: Target,
    user,
    name: str,
    direction: str,
    unit: str,
    value: Decimal | None = None,
    value_min: Decimal | None = None,
    value_max: Decimal | None = None,
) -> Target:
    """The office corrects a target's name, direction, value(s) or unit. Where
    it came from (indicator, quote, key) stays, so a re-import still knows it.
    Raises ValidationError (in Chinese) for a target that does not hold
    together; nothing is written then."""
    target = Target.objects.select_for_update().get(pk=target.pk)
    name, unit = (name or "").strip(), (unit or "").strip()
    if not name:
        raise ValidationError({"name": _("请填写目标名称。")})
    if direction not in Target.Direction.values:
        raise ValidationError({"direction": _("请选择目标方向。")})
    if not unit:
        raise ValidationError({"unit": _("请填写单位，如 %、个工作日、件。")})
    for number in (value, value_min, value_max):
        if number is not None and number < 0:
            raise ValidationError(_("目标值不能为负数。"))
    if unit == "%" and any(n is not None and n > 100 for n in (value, value_min, value_max)):
        raise ValidationError(_("百分比目标应在 0 到 100 之间。"))
    target.name, target.direction, target.unit = name[:200], direction, unit[:20]
    target.value, target.value_min, target.value_max = value, value_min, value_max
    target.clean()
    target._history_user = user
    target.save()
    return target
