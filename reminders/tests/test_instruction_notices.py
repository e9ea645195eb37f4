"""批示待回复: the sweep chases each unit that has not answered an instruction
by its reply deadline, once per instruction and unit (even under two sweeps
at once), says so in the digest in Chinese, and cancels the notice when
the unit answers before it goes out."""

import contextlib
import datetime as dt
import threading

import pytest
import time_machine
from django.db import connection

from departments.models import Unit
from indicators.models import IndicatorUnit, Plan
from reminders import sweep
from reminders.models import Reminder
from tasks import instructions
from tasks.models import Task

from .helpers import at, make_task, sweep_at

pytestmark = pytest.mark.django_db

JULY_31 = dt.date(2019, 7, 31)


def indicator_with_two_units() -> Task:
    """区数管局 leads a small indicator, 区办事服务中心 is responsible too."""
    task = make_task(due=dt.date(2019, 12, 31))
    partner = Unit.objects.get(name="区办事服务中心")
    IndicatorUnit.objects.create(indicator=task.indicator, unit=partner, role=IndicatorUnit.Role.RESPONSIBLE)
    Task.objects.create(
        indicator=task.indicator, unit=partner, role=Task.Role.RESPONSIBLE, due_date=task.due_date
    )
    return task


def write(leader, **subject):
    with time_machine.travel(at(2019, 7, 15, 10), tick=False):
        return instructions.instruction_create(
            user=leader, text="请各单位月底前报送落实方案", reply_due=JULY_31, **subject
        )


def answer(instruction, user, unit_name="区数管局"):
    with time_machine.travel(at(2019, 7, 20, 10), tick=False):
        return instructions.instruction_reply(
            instruction=instruction, unit=Unit.objects.get(name=unit_name), user=user, text="已报送方案"
        )


def chased() -> list[tuple]:
    return sorted(
        Reminder.objects.live()
        .filter(reason=Reminder.Reason.INSTRUCTION)
        .values_list("instruction_id", "unit__name", "due_date")
    )


def test_it_chases_each_unit_that_has_not_answered_by_the_deadline(units, leader, staff):
    task = indicator_with_two_units()
    instruction = write(leader, indicator=task.indicator)
    answer(instruction, staff)  # 区数管局 answered; 区办事服务中心 did not

    sweep_at(at(2019, 7, 31), deliver=False)  # the deadline itself: not yet
    assert chased() == []
    sweep_at(at(2019, 8, 1), deliver=False)
    assert chased() == [(instruction.pk, "区办事服务中心", JULY_31)]
    sweep_at(at(2019, 8, 2), deliver=False)  # once, not once a day
    assert Reminder.objects.filter(reason=Reminder.Reason.INSTRUCTION).count() == 1


def test_it_chases_an_instruction_on_a_unit_and_not_one_without_a_deadline(units, leader):
    unit = Unit.objects.get(name="区数管局")
    on_unit = write(leader, unit=unit)
    with time_machine.travel(at(2019, 7, 15, 10), tick=False):
        instructions.instruction_create(user=leader, unit=unit, text="长期关注")
    sweep_at(at(2019, 8, 1), deliver=False)
    assert chased() == [(on_unit.pk, "区数管局", JULY_31)]


def test_it_chases_nothing_on_a_plan_that_stopped_running(units, leader):
    task = make_task(due=dt.date(2019, 12, 31))
    write(leader, task=task)
    Plan.objects.filter(pk=task.indicator.plan_id).update(status=Plan.Status.CLOSED)
    sweep_at(at(2019, 8, 1), deliver=False)
    assert chased() == []


def test_answering_cancels_the_unsent_notice(units, leader, staff, django_capture_on_commit_callbacks):
    task = make_task(due=dt.date(2019, 12, 31))
    instruction = write(leader, task=task)
    sweep_at(at(2019, 8, 1), deliver=False)
    notice = Reminder.objects.get(reason=Reminder.Reason.INSTRUCTION)

    with django_capture_on_commit_callbacks(execute=True):
        instructions.instruction_reply(instruction=instruction, unit=task.unit, user=staff, text="已落实")

    notice.refresh_from_db()
    assert (notice.sent_at, notice.void_reason) == (None, "单位已回复批示")
    assert notice.voided_at is not None


def test_the_digest_quotes_the_instruction_in_chinese(units, leader, mailoutbox):
    unit = Unit.objects.get(name="区数管局")
    unit.contact_email = "sgj@units.example.com"
    unit.save(update_fields=["contact_email"])
    write(leader, unit=unit)
    sweep_at(at(2019, 8, 1))
    (mail,) = [m for m in mailoutbox if "sgj@units.example.com" in m.to]
    assert "【批示待回复】" in mail.body
    assert "以下批示要求于2019年7月31日前回复，贵单位尚未回复" in mail.body
    assert "请各单位月底前报送落实方案" in mail.body
    assert "None" not in mail.body
    html = mail.alternatives[0][0]
    assert "请各单位月底前报送落实方案" in html
    notice = Reminder.objects.get(reason=Reminder.Reason.INSTRUCTION)
    assert notice.sent_at is not None
    assert notice.get_absolute_url() == f"/tasks/#instruction-{notice.instruction_id}"


def test_the_units_notice_page_shows_it(client, units, leader, staff):
    write(leader, unit=Unit.objects.get(name="区数管局"))
    sweep_at(at(2019, 8, 1), deliver=False)
    client.force_login(staff)
    with time_machine.travel(at(2019, 8, 1, 10), tick=False):
        page = client.get("/tasks/notices/")
    text = page.content.decode()
    assert "批示待回复" in text and "请各单位月底前报送落实方案" in text


@pytest.fixture
def no_lock(monkeypatch):
    """Without the sweep lock, so that only the database stands between two sweeps."""

    @contextlib.contextmanager
    def unlocked():
        yield True

    monkeypatch.setattr(sweep, "sweep_lock", unlocked)


@pytest.mark.django_db(transaction=True)
def test_two_sweeps_at_once_record_one_notice_per_instruction_and_unit(units, leader, no_lock):
    task = indicator_with_two_units()
    on_indicator = write(leader, indicator=task.indicator)
    on_unit = write(leader, unit=Unit.objects.get(name="区数管局"))
    barrier, errors = threading.Barrier(2), []

    def run():
        try:
            barrier.wait(timeout=30)
            sweep_at(at(2019, 8, 1), deliver=False)
        except Exception as error:
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert errors == []
    assert Reminder.objects.filter(reason=Reminder.Reason.INSTRUCTION).count() == 3
    assert chased() == [
        (on_indicator.pk, "区办事服务中心", JULY_31),
        (on_indicator.pk, "区数管局", JULY_31),
        (on_unit.pk, "区数管局", JULY_31),
    ]
