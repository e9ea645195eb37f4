"""The consultation in the sweep: units that have not answered are chased
when the deadline is near (working days), and after it they are recorded as
"逾期未反馈，视作无意见" — once per unit, even when sweeps run twice or at
once (threads with their own connections, committing for real)."""

import datetime as dt
from collections import Counter

import pytest
import time_machine
from django.core.management import call_command

from conftest import ANNEX_XLSX
from departments.models import Unit
from indicators import consultations
from indicators.annex import parse_grid, read_grid
from indicators.models import Consultation, ConsultationAnswer, Indicator, Plan
from indicators.selectors import plan_unit_ids
from indicators.services import annex_import, plan_consultation_open
from reminders import sweep
from reminders.models import Reminder

from .helpers import at, sweep_at
from .test_concurrency import in_threads, no_lock  # noqa: F401 - a fixture

Kind = ConsultationAnswer.Kind
DEADLINE = dt.date(2019, 4, 30)


def open_2019(office) -> Consultation:
    assert annex_import(annex=parse_grid(read_grid(ANNEX_XLSX.read_bytes())), draft=True).ok
    plan = Plan.objects.get(year=2019)
    with time_machine.travel(at(2019, 4, 19), tick=False):
        return plan_consultation_open(
            plan=plan, user=office, deadline=DEADLINE, message="请于4月30日前反馈。"
        )


@pytest.fixture
def consultation(units, office):
    return open_2019(office)


def answer_for(consultation, unit_name, code="8", when=None):
    with time_machine.travel(when or at(2019, 4, 22), tick=False):
        return consultations.consultation_answer(
            consultation=consultation,
            unit=Unit.objects.get(name=unit_name),
            user=None,
            indicator=Indicator.objects.get(plan=consultation.plan, code=code),
            kind=Kind.NO_OBJECTION,
        )


def test_it_chases_the_units_that_have_not_answered_when_the_deadline_is_near(
    consultation, contacts, mailoutbox
):
    answer_for(consultation, "区数管局")
    asked = plan_unit_ids(consultation.plan)

    early = sweep_at(at(2019, 4, 22))  # 30 April is 6 working days away (28 April is a make-up working day)
    near = sweep_at(at(2019, 4, 24))
    again = sweep_at(at(2019, 4, 25))

    assert (early.found["consultation"], near.found["consultation"], again.found["consultation"]) == (
        0,
        len(asked) - 1,
        0,
    )
    notices = Reminder.objects.filter(reason=Reminder.Reason.CONSULTATION)
    assert {(n.period, n.due_date, n.task_id) for n in notices} == {("2019/2019-04-30", DEADLINE, None)}
    assert not notices.filter(unit__name="区数管局").exists()
    chased = [m for m in mailoutbox if "征求意见待反馈" in m.subject]
    assert len(chased) == len(asked) - 1
    assert "逾期不反馈视作无意见" in chased[0].body
    assert "/plans/2019/consultation/" in chased[0].body


def test_it_drops_the_chase_of_a_unit_that_answers_before_it_goes_out(consultation, contacts, mailoutbox):
    sweep_at(at(2019, 4, 24), deliver=False)
    answer_for(consultation, "区数管局", when=at(2019, 4, 24, 9))

    sweep_at(at(2019, 4, 25))

    notice = Reminder.objects.get(reason=Reminder.Reason.CONSULTATION, unit__name="区数管局")
    assert (notice.sent_at, notice.void_reason) == (None, "单位已反馈")


def test_it_records_no_answer_as_no_objection_once_after_the_deadline(consultation):
    answer_for(consultation, "区数管局")
    asked = plan_unit_ids(consultation.plan)

    on_the_day = sweep_at(at(2019, 4, 30))
    first = sweep_at(at(2019, 5, 6))  # the first working day after the May Day holiday
    second = sweep_at(at(2019, 5, 6, 9, 0), any_day=True)

    assert on_the_day.found["consultation_deemed"] == 0
    assert (first.found["consultation_deemed"], second.found["consultation_deemed"]) == (len(asked) - 1, 0)
    deemed = ConsultationAnswer.objects.filter(kind=Kind.DEEMED)
    assert Counter(deemed.values_list("unit_id", flat=True)).most_common(1)[0][1] == 1
    assert deemed.count() == len(asked) - 1
    assert Consultation.objects.get().deemed_at == at(2019, 5, 6)


def test_it_records_no_answer_from_send_reminders_as_of_a_date(consultation, capsys):
    call_command("send_reminders", "--as-of", "2019-05-06", "--dry-run")
    assert not ConsultationAnswer.objects.exists()  # a dry run writes nothing

    call_command("send_reminders", "--as-of", "2019-05-06")

    assert ConsultationAnswer.objects.filter(kind=Kind.DEEMED).count() == len(
        plan_unit_ids(consultation.plan)
    )
    assert "consultation_deemed" in capsys.readouterr().out


@pytest.mark.django_db(transaction=True)
def test_it_records_each_silent_unit_once_when_two_sweeps_run_at_once(units, office, no_lock):  # noqa: F811
    consultation = open_2019(office)
    asked = plan_unit_ids(consultation.plan)

    with time_machine.travel(at(2019, 5, 6), tick=False):
        results = in_threads(2, lambda: sweep.run(deliver=False))

    assert sum(r.found["consultation_deemed"] for r in results) == len(asked)
    units_recorded = Counter(ConsultationAnswer.objects.values_list("unit_id", flat=True))
    assert len(units_recorded) == len(asked) and set(units_recorded.values()) == {1}


@pytest.mark.django_db(transaction=True)
def test_it_records_each_silent_unit_once_when_two_deadline_steps_race(units, office):
    consultation = open_2019(office)
    asked = plan_unit_ids(consultation.plan)

    results = in_threads(
        2, lambda: consultations.consultation_record_deemed(consultation=consultation, now=at(2019, 5, 6))
    )

    assert sum(results) == len(asked)
    assert ConsultationAnswer.objects.count() == len(asked)
