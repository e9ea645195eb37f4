"""Values of confirmed targets, reported with a progress report: what a unit
may enter (ReportedValue), the checks (values_check, used by
services.progress_report_create) and the reads the task page, the overview
and the monthly report share (latest values, series over time)."""

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from indicators.models import Target

from .models import TargetValue, Task


@dataclass(frozen=True)
class ReportedValue:
    """One value as a unit entered it: which target, the figure, 截至 which
    day, and where the figure comes from."""

    target_id: int
    value: Decimal
    as_of: dt.date
    source: str = ""


def confirmed_targets(task: Task) -> list[Target]:
    """The targets a unit reports values for on this task."""
    return list(
        Target.objects.filter(indicator_id=task.indicator_id, status=Target.Status.CONFIRMED).order_by(
            "position", "pk"
        )
    )


def values_check(*, task: Task, values, today: dt.date) -> list[TargetValue]:
    """The values as unsaved rows, or ValidationError (code "target_values")
    naming the target: only the indicator's confirmed targets, once each, a
    percentage within 0–100, nothing below 0, 截至 not after today."""
    targets = {t.pk: t for t in confirmed_targets(task)}
    rows, seen = [], set()
    for reported in values:
        target = targets.get(reported.target_id)
        if target is None:
            raise ValidationError(_("只能填报本指标已确认的目标。"), code="target_values")
        if target.pk in seen:
            raise ValidationError(
                _("“%(name)s”在一次报送中只能填一个数值。") % {"name": target.name}, code="target_values"
            )
        seen.add(target.pk)
        if reported.value < 0:
            raise ValidationError(
                _("“%(name)s”的数值不能为负数。") % {"name": target.name}, code="target_values"
            )
        if target.is_percent and reported.value > 100:
            raise ValidationError(
                _("“%(name)s”是百分比，数值应在 0 到 100 之间。") % {"name": target.name},
                code="target_values",
            )
        if reported.as_of > today:
            raise ValidationError(
                _("“%(name)s”的截至日期不能晚于今天。") % {"name": target.name}, code="target_values"
            )
        rows.append(
            TargetValue(
                target=target,
                task=task,
                value=reported.value,
                as_of=reported.as_of,
                source=(reported.source or "").strip()[:500],
            )
        )
    return rows


def indicator_values(indicator_ids, *, on: dt.date | None = None) -> dict[int, list[TargetValue]]:
    """Each target's values as the indicator reports them — its lead unit's
    (牵头汇总) — oldest first, known on `on` (None: all). One query."""
    series: dict[int, list[TargetValue]] = defaultdict(list)
    rows = (
        TargetValue.objects.known_on(on)
        .filter(target__indicator_id__in=indicator_ids, task__role=Task.Role.LEAD)
        .order_by("target_id", "as_of", "created_at", "pk")
    )
    for row in rows:
        series[row.target_id].append(row)
    return series


def latest_values(target_ids, *, on: dt.date | None = None) -> dict[int, TargetValue]:
    """Each target's newest value as its indicator reports it (the lead
    unit's, `latest` of indicator_values), known on `on`: the overview needs
    no more than that of each target's history. Two plain queries: the
    values' ids newest first, then the newest of each target."""
    ordered = (
        TargetValue.objects.known_on(on)
        .filter(target_id__in=target_ids, task__role=Task.Role.LEAD)
        .order_by("target_id", "-as_of", "-created_at", "-pk")
        .values_list("target_id", "pk")
    )
    newest: dict[int, int] = {}
    for target_id, pk in ordered:
        newest.setdefault(target_id, pk)
    return {value.target_id: value for value in TargetValue.objects.filter(pk__in=newest.values())}


def latest(series: list[TargetValue]) -> TargetValue | None:
    """The newest value: the latest 截至, the last reported among equals."""
    return series[-1] if series else None


@dataclass
class TargetStanding:
    """A confirmed target seen against its indicator's latest value."""

    target: Target
    series: list[TargetValue]

    @property
    def latest(self) -> TargetValue | None:
        return latest(self.series)

    @property
    def met(self) -> bool | None:
        return self.target.is_met(self.latest.value if self.latest else None)

    @property
    def gap(self) -> float | None:
        return self.target.gap(self.latest.value if self.latest else None)

    def chart(self) -> dict:
        """What static/js/targets.js draws: the values over time and the target line(s)."""
        t = self.target
        lines = [t.value] if t.value is not None else [t.value_min, t.value_max]
        return {
            "id": t.pk,
            "name": t.name,
            "unit": t.unit,
            "points": [[v.as_of.isoformat(), float(v.value)] for v in self.series],
            "lines": [float(line) for line in lines],
        }


def task_targets(task: Task, *, on: dt.date | None = None) -> list[TargetStanding]:
    """The task page's targets: each confirmed target of the indicator with
    its values (the lead's) known on `on`. Two queries, whatever the number
    of targets and values."""
    targets = confirmed_targets(task)
    if not targets:
        return []
    series = indicator_values([task.indicator_id], on=on)
    return [TargetStanding(t, series.get(t.pk, [])) for t in targets]
