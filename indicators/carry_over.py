"""结转: next year's draft plan made of a closed plan's unfinished
indicators. Which indicators are unfinished is the tasks' business
(tasks.services.plan_carry_over decides and calls this); here the draft is
written. See docs/year.md."""

import datetime as dt
import logging

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _
from simple_history.utils import bulk_create_with_history

from .models import Indicator, IndicatorUnit, Plan, validate_plan_year

logger = logging.getLogger(__name__)


def _next_title(title: str, old_year: int, year: int) -> str:
    if str(old_year) in title:
        return title.replace(str(old_year), str(year))
    return f"{year}年度改革工作指标和时间安排"


def _same_day_in(day: dt.date, year: int) -> dt.date:
    """The same month and day in another year (29 February → 28 February)."""
    try:
        return day.replace(year=year)
    except ValueError:
        return day.replace(year=year, day=28)


@transaction.atomic
def plan_draft_from(*, plan: Plan, year: int, indicators: list[Indicator], user=None) -> Plan:
    """Next year's draft (草案) made of these indicators of `plan`, in their
    order: codes renumbered 1…n (a sub-item k-1, k-2… under its parent k),
    each linked to its origin (`carried_from`); category, task text,
    deadline label, ongoing flag, section and the lead and responsible units
    copied; due dates moved to the same month and day of the new year (the
    office edits them in the draft before it consults or adopts). Refused if
    the year already has a plan. The rule for which indicators go is the
    caller's (tasks.services.plan_carry_over: not verified on every task)."""
    validate_plan_year(year)
    if Plan.objects.filter(year=year).exists():
        raise ValidationError(
            _("%(year)s年度计划已存在，不能结转：请在该计划中手工添加需要延续的指标。") % {"year": year},
            code="exists",
        )
    new_plan = Plan(
        year=year,
        title=_next_title(plan.title, plan.year, year),
        status=Plan.Status.DRAFT,
        due_soon_days=plan.due_soon_days,
        report_day=plan.report_day,
    )
    new_plan._history_user = user
    new_plan._change_reason = f"由{plan.year}年度计划结转"
    new_plan.save()

    wanted = {i.pk for i in indicators}
    ordered = [i for i in Indicator.objects.filter(plan=plan).order_by("position") if i.pk in wanted]
    copies: dict[int, Indicator] = {}
    number, sub_numbers = 0, {}
    for position, origin in enumerate(ordered, start=1):
        parent = copies.get(origin.parent_id) if origin.parent_id else None
        if parent is None:
            number += 1
            code = str(number)
        else:
            sub_numbers[parent.pk] = sub_numbers.get(parent.pk, 0) + 1
            code = f"{parent.code}-{sub_numbers[parent.pk]}"
        copy = Indicator(
            plan=new_plan,
            code=code,
            parent=parent,
            position=position,
            category=origin.category,
            task_text=origin.task_text,
            deadline_label=origin.deadline_label,
            due_date=_same_day_in(origin.due_date, year),
            ongoing=origin.ongoing,
            section=origin.section,
            carried_from=origin,
        )
        copy._history_user = user
        copy.save()
        copies[origin.pk] = copy
    links = [
        IndicatorUnit(
            indicator=copies[link.indicator_id], unit_id=link.unit_id, role=link.role, position=link.position
        )
        for link in IndicatorUnit.objects.filter(indicator_id__in=copies).order_by(
            "indicator_id", "role", "position"
        )
    ]
    bulk_create_with_history(links, IndicatorUnit, batch_size=1000, default_user=user)
    logger.info("plan %s carried over to %s: %d indicator(s)", plan.year, year, len(copies))
    return new_plan
