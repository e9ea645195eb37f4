"""The 2019 plan's own consultation, as the seed document tells it: the
office sent the draft work points to every unit on 16 April 2019 and asked
for written feedback by 30 April, 逾期不反馈视作无意见; a few units answered
(no objection, or a comment with a proposed deadline), the sweep recorded the
rest as no objection after the deadline, the office replied to the comments
and adopted the plan on 6 May. Through the services of indicators, each with
`now=` the moment it happened."""

import datetime as dt

from django.db import transaction

from departments.models import Unit
from indicators import consultations
from indicators.forms import NOTICE_TEMPLATE
from indicators.models import Consultation, ConsultationAnswer, Indicator, Plan
from indicators.selectors import consultation_unit_items
from indicators.services import plan_adopt, plan_consultation_open
from tasks.models import site_timezone

from .setup import unit_reporters

YEAR = 2019
DRAFTED = dt.datetime(2019, 4, 15, 9, 0, tzinfo=site_timezone())
OPENED = dt.datetime(2019, 4, 16, 9, 0, tzinfo=site_timezone())
DEADLINE = dt.date(2019, 4, 30)
DEEMED = dt.datetime(2019, 5, 1, 0, 10, tzinfo=site_timezone())  # the sweep after the deadline
DECIDED = dt.datetime(2019, 5, 5, 10, 0, tzinfo=site_timezone())
ADOPTED = dt.datetime(2019, 5, 6, 9, 0, tzinfo=site_timezone())
CLOSED = dt.datetime(2020, 1, 10, 16, 0, tzinfo=site_timezone())  # the year's summing-up done

Kind = ConsultationAnswer.Kind
Decision = ConsultationAnswer.Decision

# unit, answered on, kind, on its item (its n-th) or the whole plan, text,
# proposed due date (month end), the office's decision and reply
ANSWERS = [
    ("区数管局", 4, 22, Kind.NO_OBJECTION, None, "", None, None, ""),
    (
        "区办事服务中心",
        4,
        24,
        Kind.COMMENT,
        0,
        "窗口人员调整需要时间，建议该项完成时限延至9月底。",
        dt.date(2019, 9, 30),
        Decision.PARTLY,
        "时限不变，可分阶段完成，请在6月底前报送阶段性进展。",
    ),
    (
        "区发改局",
        4,
        26,
        Kind.COMMENT,
        0,
        "建议明确“投资项目审批各部门”的具体范围，便于各单位对照落实。",
        None,
        Decision.ADOPTED,
        "",
    ),
    ("区市场监管局", 4, 28, Kind.NO_OBJECTION, 0, "", None, None, ""),
    (
        "区公安分局",
        4,
        29,
        Kind.COMMENT,
        None,
        "部分指标涉及省级系统改造，建议在考核时予以说明。",
        None,
        Decision.REJECTED,
        "目标任务已按省市要求确定，系统改造进度可在进展报送的“存在问题”中说明。",
    ),
]


@transaction.atomic
def consult_and_adopt(*, import_plan, office) -> Plan:
    """The 2019 annex imported as a draft, its consultation run and the plan
    adopted; `import_plan(year=…, at=…, draft=True)` is demo.setup.plan_import."""
    plan, _created, _summary = import_plan(year=YEAR, at=DRAFTED, draft=True)
    message = NOTICE_TEMPLATE.format(title=plan.title, deadline="2019年4月30日")
    consultation = plan_consultation_open(
        plan=plan, user=office, deadline=DEADLINE, message=message, now=OPENED
    )
    reporters = unit_reporters()
    for name, month, day, kind, item, text, due, decision, reply in ANSWERS:
        unit = Unit.objects.get(name=name)
        indicator = None
        if item is not None:
            items = consultation_unit_items(plan, unit)
            indicator = Indicator.objects.filter(pk__in=items).order_by("position")[item]
        answer = consultations.consultation_answer(
            consultation=consultation,
            unit=unit,
            user=reporters[unit.pk],
            indicator=indicator,
            kind=kind,
            text=text,
            proposed_due_date=due,
            now=dt.datetime(YEAR, month, day, 15, 0, tzinfo=site_timezone()),
        )
        if decision:
            consultations.consultation_decide(
                answer=answer, user=office, decision=decision, reply=reply, now=DECIDED
            )
    consultations.consultation_record_deemed(consultation=consultation, now=DEEMED)
    plan_adopt(plan=plan, user=office, now=ADOPTED)
    return plan


def summary(plan: Plan) -> str:
    consultation = Consultation.objects.get(plan=plan)
    answers = ConsultationAnswer.objects.filter(consultation=consultation)
    deemed = answers.filter(kind=Kind.DEEMED).count()
    return f"consultation: {answers.count() - deemed} answers, {deemed} units deemed no objection"
