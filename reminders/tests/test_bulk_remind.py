"""催办所选: the office chases the tasks ticked on a list, one digest per
unit, each task once a day (the lists and their tick boxes:
tasks/tests/test_bulk.py)."""

import pytest
import time_machine
from django.contrib.messages import get_messages
from django.urls import reverse

from reminders import jobs
from reminders.models import Reminder
from tasks.models import Review
from tasks.tests.helpers import JULY_15, completed_tasks, review
from tasks.tests.helpers import ticks as _ticks


@pytest.fixture
def completed(plan_2019, staff, other_staff):
    return completed_tasks(staff)


@pytest.fixture
def july_15():
    with time_machine.travel(JULY_15, tick=False) as traveller:
        yield traveller


def messages_of(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


@pytest.fixture
def queued(monkeypatch):
    units = []
    monkeypatch.setattr(jobs.reminders_deliver_unit, "delay", lambda unit_id: units.append(unit_id))
    return units


def test_it_chases_the_ticked_tasks_with_one_digest_per_unit(
    client, office, completed, queued, july_15, django_capture_on_commit_callbacks
):
    client.force_login(office)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("reminders:remind_bulk"), {"task": _ticks(completed), "note": "请月底前报送"}
        )
    assert messages_of(response) == ["已向 2 个单位发出催办，共 3 项任务。"]
    notices = Reminder.objects.filter(reason="manual")
    assert sorted(notices.values_list("task_id", flat=True)) == sorted(t.pk for t in completed)
    assert set(notices.values_list("note", flat=True)) == {"请月底前报送"}
    assert set(notices.values_list("sent_by", flat=True)) == {office.pk}
    assert sorted(queued) == sorted({t.unit_id for t in completed})


def test_it_chases_a_task_once_a_day_and_skips_verified_ones(
    client, office, completed, queued, july_15, django_capture_on_commit_callbacks
):
    review(completed[0], office, Review.Decision.VERIFIED)
    client.force_login(office)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("reminders:remind_bulk"), {"task": _ticks(completed[1:2])})
        response = client.post(reverse("reminders:remind_bulk"), {"task": _ticks(completed)})
    assert messages_of(response)[-2:] == [
        f"今天已催办过、不再重复发送：{completed[1]}。",  # 2019 · 9 所有民生事项… · 区数管局
        f"已办结或已停用、无需催办：{completed[0]}。",
    ]
    assert Reminder.objects.filter(reason="manual").count() == 2


def test_it_refuses_a_bulk_reminder_to_everyone_but_the_office(client, staff, leader, completed, queued):
    for user in (staff, leader):
        client.force_login(user)
        assert client.post(reverse("reminders:remind_bulk"), {"task": _ticks(completed)}).status_code == 403
    assert not Reminder.objects.filter(reason="manual").exists()
