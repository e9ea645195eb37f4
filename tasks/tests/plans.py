"""A small plan with a hand-written history, for the dashboard and monthly
report tests. Every figure the tests expect can be counted by hand from the
table below.

Plan 2019, created 2019-05-06. Units: 数管 = 区数管局, 中心 = 区办事服务中心,
发改 = 区发改局.

| indicator | category | due        | lead | responsible |
|-----------|----------|------------|------|-------------|
| A1        | 甲类     | 2019-06-30 | 数管 | 中心        |
| A2        | 甲类     | 2019-07-31 | 数管 | 发改        |
| B1        | 乙类     | 2019-09-30 | 中心 | 数管        |
| B2        | 乙类     | 2019-12-31 | 发改 | —           |

History (Asia/Shanghai, 10:00 each day):
- 06-20 数管/A1 reports completed; 06-25 verified        → on time
- 07-10 中心/A1 reports in progress 50% ("人手不足")       → overdue from 07-01
- 07-15 中心/B1 reports completed; 07-16 verified        → on time (early)
- 07-20 数管/A2 reports completed; 07-25 returned;
  08-05 reports completed again; 08-10 verified          → late (accepted report after 07-31)
- 08-01 发改/A2 reports completed (late), not yet verified → overdue from 08-01
- 08-12 发改/B2 reports in progress 30% (text that looks like a formula)
- 数管/B1 never reports.

State on 2019-08-15: verified 3 (数管/A1, 数管/A2, 中心/B1), completed 1 (发改/A2),
in progress 2 (中心/A1, 发改/B2), not started 1 (数管/B1); overdue 2 (中心/A1 46
days, 发改/A2 15 days); assessable 5, on time 2 → 40%.

State on 2019-07-31: verified 2 (数管/A1, 中心/B1), in progress 2 of which
returned 1 (中心/A1, 数管/A2), not started 3; overdue 1 (中心/A1, 31 days);
assessable 3, on time 2.
"""

import datetime as dt
import random
from zoneinfo import ZoneInfo

import time_machine

from departments.models import Unit
from indicators.models import Indicator, IndicatorUnit, Plan
from tasks import services
from tasks.models import Review, Task

from .helpers import report, review

SHANGHAI = ZoneInfo("Asia/Shanghai")
SGJ, BSZX, FGJ = "区数管局", "区办事服务中心", "区发改局"
AUG_15 = dt.datetime(2019, 8, 15, 9, 0, tzinfo=SHANGHAI)
FORMULA_PROGRESS = '=HYPERLINK("http://example.com/x","点击查看")'
FORMULA_PROBLEMS = "+1+1 @SUM(A1:A2) -2"

INDICATORS = [
    # code, category, due date, label, lead, responsible
    ("A1", "甲类", dt.date(2019, 6, 30), "6月底", SGJ, BSZX),
    ("A2", "甲类", dt.date(2019, 7, 31), "7月底", SGJ, FGJ),
    ("B1", "乙类", dt.date(2019, 9, 30), "9月底", BSZX, SGJ),
    ("B2", "乙类", dt.date(2019, 12, 31), "12月底", FGJ, None),
]


def at(month: int, day: int, hour: int = 10):
    return time_machine.travel(dt.datetime(2019, month, day, hour, 0, tzinfo=SHANGHAI), tick=False)


def task(unit: str, code: str) -> Task:
    return Task.objects.get(unit__name=unit, indicator__code=code, indicator__plan__year=2019)


def build_small_plan(*, staff, office) -> Plan:
    """Needs the unit directory (the `units` fixture)."""
    with at(5, 6, 9):
        plan = Plan.objects.create(year=2019, title="萧山区2019年度改革工作指标（测试）")
        for position, (code, category, due, label, lead, responsible) in enumerate(INDICATORS, start=1):
            indicator = Indicator.objects.create(
                plan=plan,
                code=code,
                position=position,
                category=category,
                task_text=f"{category}任务{code}：推进数据共享和一窗受理。",
                deadline_label=label,
                due_date=due,
            )
            IndicatorUnit.objects.create(indicator=indicator, unit=Unit.objects.get(name=lead), role="lead")
            if responsible:
                IndicatorUnit.objects.create(
                    indicator=indicator, unit=Unit.objects.get(name=responsible), role="responsible"
                )
        services.task_sync_plan(plan=plan)

    done, verified, returned = Task.Status.COMPLETED, Review.Decision.VERIFIED, Review.Decision.RETURNED
    with at(6, 20):
        report(task(SGJ, "A1"), staff, status=done, percent=100, progress="A1 已完成")
    with at(6, 25):
        review(task(SGJ, "A1"), office, verified)
    with at(7, 10):
        report(task(BSZX, "A1"), staff, percent=50, progress="A1 推进中", problems="人手不足")
    with at(7, 15):
        report(task(BSZX, "B1"), staff, status=done, percent=100, progress="B1 提前完成")
    with at(7, 16):
        review(task(BSZX, "B1"), office, verified)
    with at(7, 20):
        report(task(SGJ, "A2"), staff, status=done, percent=100, progress="A2 完成")
    with at(7, 25):
        review(task(SGJ, "A2"), office, returned, reason="缺少佐证材料")
    with at(8, 1):
        report(task(FGJ, "A2"), staff, status=done, percent=100, progress="A2 发改 完成")
    with at(8, 5):
        report(task(SGJ, "A2"), staff, status=done, percent=100, progress="A2 补充材料后完成")
    with at(8, 10):
        review(task(SGJ, "A2"), office, verified)
    with at(8, 12):
        report(task(FGJ, "B2"), staff, percent=30, progress=FORMULA_PROGRESS, problems=FORMULA_PROBLEMS)
    return plan


def build_next_year(*, unit: str = SGJ) -> Plan:
    """Plan 2020 with one indicator led by `unit`: a second year to choose."""
    plan = Plan.objects.create(year=2020, title="萧山区2020年度改革工作指标（测试）")
    indicator = Indicator.objects.create(
        plan=plan, code="1", position=1, category="甲类", task_text="甲类任务1", due_date=dt.date(2020, 6, 30)
    )
    IndicatorUnit.objects.create(indicator=indicator, unit=Unit.objects.get(name=unit), role="lead")
    services.task_sync_plan(plan=plan)
    return plan


def simulate_progress(
    *, plan: Plan, staff, office, start: dt.datetime, end: dt.datetime, seed: int = 2019
) -> int:
    """A plausible few months of reports and reviews on every task of the
    plan, through the services at pseudo-random times between start and end
    (for the browser test and its screenshot). Returns the number of events."""
    rng = random.Random(seed)
    events = []
    span = (end - start).total_seconds()
    for pk, due in Task.objects.filter(indicator__plan=plan).order_by("pk").values_list("pk", "due_date"):
        fate = rng.random()
        if fate < 0.15:
            continue  # never starts
        first = start + dt.timedelta(seconds=rng.uniform(0, span / 2))
        events.append((first, pk, "report", Task.Status.IN_PROGRESS, rng.randrange(10, 70, 5)))
        if fate < 0.45:
            continue  # still in progress
        due_at = dt.datetime.combine(due, dt.time(17), tzinfo=SHANGHAI)
        done = max(first + dt.timedelta(days=1), due_at + dt.timedelta(days=rng.randint(-25, 12)))
        if done >= end:
            continue
        events.append((done, pk, "report", Task.Status.COMPLETED, 100))
        checked = done + dt.timedelta(days=rng.randint(1, 6))
        if fate > 0.6 and checked < end:
            events.append((checked, pk, "review", Review.Decision.VERIFIED, None))
    events.sort(key=lambda event: event[0])
    problems = ["部门间数据接口尚未打通", "", "", "人员不足，进度偏慢", ""]
    for when, pk, kind, value, percent in events:
        with time_machine.travel(when, tick=False):
            target = Task.objects.get(pk=pk)
            if kind == "report":
                report(
                    target,
                    staff,
                    status=value,
                    percent=percent,
                    progress=f"已完成阶段工作的{percent}%，正按计划推进。",
                    problems=rng.choice(problems),
                )
            else:
                review(target, office, value)
    return len(events)
