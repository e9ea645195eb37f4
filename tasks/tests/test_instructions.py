"""批示: leaders and the office write on an indicator, a task or a unit; the
units concerned answer once, by a reply or a progress report referencing
it; the office and leaders read every instruction with its replies and
those past their deadline unanswered."""

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse
from pytest_django.asserts import assertContains, assertNotContains

from departments.models import Membership, Unit
from indicators.models import Plan
from tasks import instructions
from tasks.models import Instruction, InstructionReply, Task

from .helpers import task_of

AUG_31 = dt.date(2019, 8, 31)
pytestmark = pytest.mark.usefixtures("july_15")


def write(user, text="请区数管局月底前拿出方案", reply_due=AUG_31, **subject):
    return instructions.instruction_create(user=user, text=text, reply_due=reply_due, **subject)


def answer(instruction, user, unit_name="区数管局", text="已拟定方案，月底前报区政府"):
    unit = Unit.objects.get(name=unit_name)
    return instructions.instruction_reply(instruction=instruction, unit=unit, user=user, text=text)


# Writing


@pytest.mark.parametrize("who", ["leader", "office"])
def test_it_lets_leaders_and_the_office_write_on_a_task(request, task_8, who):
    author = request.getfixturevalue(who)
    instruction = write(author, task=task_8)
    assert (instruction.task, instruction.author, instruction.reply_due) == (task_8, author, AUG_31)
    assert instruction.history.get().history_user == author
    assert instructions.concerned_unit_ids(instruction) == [task_8.unit_id]


@pytest.mark.parametrize("who", ["staff", "other_staff"])
def test_it_refuses_an_instruction_from_unit_staff(request, task_8, who):
    with pytest.raises(PermissionDenied, match="只有区领导和跑改办可以写批示"):
        write(request.getfixturevalue(who), task=task_8)
    assert not Instruction.objects.exists()


def test_it_concerns_every_unit_holding_the_indicator(task_8, leader):
    instruction = write(leader, indicator=task_8.indicator)
    holders = Task.objects.active().filter(indicator=task_8.indicator).values_list("unit_id", flat=True)
    assert instructions.concerned_unit_ids(instruction) == sorted(holders)
    assert len(holders) > 2


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"text": "  "}, "请填写批示内容"),
        ({"reply_due": dt.date(2019, 7, 14)}, "回复期限不能早于今天"),
    ],
)
def test_it_refuses_an_empty_text_or_a_past_deadline(task_8, leader, kwargs, message):
    with pytest.raises(ValidationError, match=message):
        write(leader, task=task_8, **kwargs)


def test_it_wants_exactly_one_subject(task_8, leader):
    with pytest.raises(ValidationError, match="请选择批示对象"):
        write(leader, task=task_8, unit=task_8.unit)
    with pytest.raises(ValidationError, match="请选择批示对象"):
        write(leader)
    # The database says so too.
    with pytest.raises(IntegrityError), transaction.atomic():
        Instruction.objects.create(task=task_8, unit=task_8.unit, text="x", author=leader)


def test_it_refuses_an_instruction_on_a_closed_plan(task_8, leader):
    Plan.objects.filter(pk=task_8.indicator.plan_id).update(status=Plan.Status.CLOSED)
    with pytest.raises(ValidationError, match="不在执行中，不能批示"):
        write(leader, task=Task.objects.get(pk=task_8.pk))


# Answering


def test_it_records_the_units_answer_once(task_8, leader, staff):
    instruction = write(leader, task=task_8)
    reply = answer(instruction, staff)
    assert (reply.unit, reply.author, reply.report) == (task_8.unit, staff, None)
    with pytest.raises(ValidationError, match="本单位已回复过该批示"):
        answer(instruction, staff, text="再补充一点")
    assert InstructionReply.objects.count() == 1


def test_a_unit_cannot_answer_another_units_instruction(task_8, leader, other_staff):
    instruction = write(leader, task=task_8)
    # Its own staff of the wrong unit, and the right unit by the wrong staff.
    with pytest.raises(PermissionDenied, match="不是写给本单位的"):
        answer(instruction, other_staff, unit_name="区办事服务中心")
    with pytest.raises(PermissionDenied, match="只有本单位联络员可以回复批示"):
        answer(instruction, other_staff, unit_name="区数管局")
    assert not InstructionReply.objects.exists()


@pytest.mark.parametrize("who", ["leader", "office"])
def test_leaders_and_the_office_cannot_answer(request, task_8, leader, who):
    instruction = write(leader, task=task_8)
    with pytest.raises(PermissionDenied):
        answer(instruction, request.getfixturevalue(who))


def test_it_refuses_an_answer_after_the_plan_closed(task_8, leader, staff):
    instruction = write(leader, task=task_8)
    Plan.objects.filter(pk=task_8.indicator.plan_id).update(status=Plan.Status.CLOSED)
    with pytest.raises(ValidationError, match="年度计划已结束，不能再回复"):
        answer(instruction, staff)
    assert instructions.open_instructions(unit_ids=[task_8.unit_id]) == []


def test_it_refuses_an_empty_answer(task_8, leader, staff):
    with pytest.raises(ValidationError, match="请填写回复内容"):
        answer(write(leader, task=task_8), staff, text=" ")


def test_a_report_referencing_the_instruction_is_the_units_answer(client, task_8, leader, staff):
    instruction = write(leader, indicator=task_8.indicator)
    client.force_login(staff)
    page = client.get(reverse("tasks:detail", args=[task_8.pk]))
    assertContains(page, "回应批示")
    response = client.post(
        reverse("tasks:report", args=[task_8.pk]),
        {
            "version": task_8.version,
            "status": "in_progress",
            "percent": 40,
            "progress": "方案已起草",
            "instruction": instruction.pk,
        },
    )
    assert response.status_code == 302
    reply = InstructionReply.objects.get()
    assert (reply.unit, reply.report.progress) == (task_8.unit, "方案已起草")
    assert "方案已起草" in reply.text
    # Answered: no longer offered, no longer at the top of the home page.
    assertNotContains(client.get(reverse("tasks:detail", args=[task_8.pk])), 'name="instruction"')
    assertNotContains(client.get(reverse("tasks:mine")), "待回复的批示")


def test_the_report_form_offers_no_instruction_when_none_is_open(client, task_8, staff):
    client.force_login(staff)
    assertNotContains(client.get(reverse("tasks:detail", args=[task_8.pk])), "回应批示")


def test_a_report_cannot_answer_an_instruction_of_another_task(client, task_8, leader, staff):
    other = write(leader, task=task_of("区办事服务中心", "8"))
    client.force_login(staff)
    response = client.post(
        reverse("tasks:report", args=[task_8.pk]),
        {
            "version": task_8.version,
            "status": "in_progress",
            "percent": 40,
            "progress": "x",
            "instruction": other.pk,
        },
    )
    assert response.status_code == 200  # the form again, with its error
    assert not InstructionReply.objects.exists()
    assert not task_8.progress_reports.exists()


def test_leaders_cannot_report(client, task_8, leader):
    client.force_login(leader)
    response = client.post(
        reverse("tasks:report", args=[task_8.pk]),
        {"version": task_8.version, "status": "in_progress", "percent": 40, "progress": "x"},
    )
    assert response.status_code == 403
    assert not task_8.progress_reports.exists()


# Pages


def test_the_unit_sees_open_instructions_at_the_top_of_its_home(client, task_8, leader, staff, other_staff):
    write(leader, task=task_8, text="请月底前拿出方案")
    write(leader, unit=Unit.objects.get(name="区办事服务中心"), text="请办事服务中心自查")
    client.force_login(staff)
    page = client.get(reverse("tasks:mine"))
    assertContains(page, "待回复的批示（1）")
    assertContains(page, "请月底前拿出方案")
    assertNotContains(page, "请办事服务中心自查")


def test_a_unit_answers_from_its_home(client, task_8, leader, staff):
    instruction = write(leader, unit=task_8.unit)
    client.force_login(staff)
    response = client.post(
        reverse("tasks:instruction_reply", args=[instruction.pk]),
        {"unit": task_8.unit_id, "text": "收到，立即落实", "next": reverse("tasks:mine")},
    )
    assert response.status_code == 302
    assert InstructionReply.objects.get().text == "收到，立即落实"


def test_an_unrelated_unit_gets_404_on_another_units_instruction(client, task_8, leader, other_staff):
    instruction = write(leader, task=task_8)
    client.force_login(other_staff)
    # Whichever unit it names.
    for unit_id in (task_8.unit_id, Unit.objects.get(name="区办事服务中心").pk):
        response = client.post(
            reverse("tasks:instruction_reply", args=[instruction.pk]), {"unit": unit_id, "text": "x"}
        )
        assert response.status_code == 404
    assert not InstructionReply.objects.exists()


def test_leaders_write_from_the_task_page_on_the_task_or_its_indicator(client, task_8, leader):
    client.force_login(leader)
    page = client.get(reverse("tasks:detail", args=[task_8.pk]))
    assertContains(page, 'id="instruction-create"')
    response = client.post(
        reverse("tasks:instruction_create"),
        {"task": task_8.pk, "scope": "indicator", "text": "各单位加快推进", "reply_due": "2019-08-31"},
    )
    assert response["Location"] == reverse("tasks:detail", args=[task_8.pk]) + "#instructions"
    instruction = Instruction.objects.get()
    assert (instruction.indicator, instruction.task) == (task_8.indicator, None)


def test_a_bad_instruction_is_a_chinese_message_not_a_500(client, task_8, leader):
    client.force_login(leader)
    response = client.post(
        reverse("tasks:instruction_create"),
        {"task": task_8.pk, "text": "请办理", "reply_due": "2019-07-01"},
        follow=True,
    )
    assertContains(response, "回复期限不能早于今天")
    response = client.post(
        reverse("tasks:instruction_create"), {"text": "x", "reply_due": "不是日期"}, follow=True
    )
    assertContains(response, "批示没有保存")
    assert not Instruction.objects.exists()


def test_the_list_shows_units_replies_and_the_overdue_filter(client, task_8, leader, staff, july_15):
    answered = write(leader, task=task_8, text="请拿出方案", reply_due=dt.date(2019, 7, 20))
    answer(answered, staff, text="方案已报送")
    late = write(
        leader, unit=Unit.objects.get(name="区办事服务中心"), text="请自查", reply_due=dt.date(2019, 7, 20)
    )
    write(leader, unit=task_8.unit, text="不急的批示", reply_due=None)
    july_15.move_to(dt.datetime(2019, 7, 25, 9, tzinfo=dt.timezone(dt.timedelta(hours=8))))
    client.force_login(leader)
    page = client.get(reverse("tasks:instructions"))
    assertContains(page, "方案已报送")
    assertContains(page, "不急的批示")
    overdue = client.get(reverse("tasks:instructions") + "?show=overdue")
    assertContains(overdue, f'id="instruction-{late.pk}"')
    assertNotContains(overdue, f'id="instruction-{answered.pk}"')
    assertNotContains(overdue, "不急的批示")
    # A bad filter value is shown as the default, never a 500.
    assert client.get(reverse("tasks:instructions") + "?show=%00").status_code == 200


def test_leaders_see_the_reply_on_the_task_page(client, task_8, leader, staff):
    answer(write(leader, task=task_8), staff, text="方案已报送区政府")
    client.force_login(leader)
    page = client.get(reverse("tasks:detail", args=[task_8.pk]))
    assertContains(page, "方案已报送区政府")
    assertNotContains(page, "instruction-reply-form")


def test_the_list_costs_the_same_whatever_the_number_of_units_and_replies(
    client, task_8, leader, office, django_assert_max_num_queries
):
    client.force_login(office)
    # One of each kind, nobody answered yet.
    write(leader, task=task_8)
    indicator_instruction = write(leader, indicator=task_8.indicator)
    write(leader, unit=task_8.unit)
    with django_assert_max_num_queries(20) as few:
        client.get(reverse("tasks:instructions"))
    for unit_id in instructions.concerned_unit_ids(indicator_instruction):
        user = Membership.objects.filter(unit_id=unit_id).first()
        if user is None:
            from django.contrib.auth import get_user_model

            account = get_user_model().objects.create_user(username=f"u{unit_id}")
            Membership.objects.create(user=account, unit_id=unit_id)
            user = account
        else:
            user = user.user
        instructions.instruction_reply(
            instruction=indicator_instruction, unit=Unit.objects.get(pk=unit_id), user=user, text="已落实"
        )
    for unit in Unit.objects.units()[:5]:
        write(leader, unit=unit)
    client.force_login(office)
    with django_assert_max_num_queries(len(few.captured_queries)):
        page = client.get(reverse("tasks:instructions"))
    assertContains(page, "已落实", count=len(instructions.concerned_unit_ids(indicator_instruction)))


def test_leaders_write_to_a_unit_from_its_page(client, task_8, leader, staff):
    page_url = reverse("dashboards:unit_completeness", args=[task_8.unit_id])
    client.force_login(staff)
    assertNotContains(client.get(page_url), 'id="instruct-unit"')
    client.force_login(leader)
    assertContains(client.get(page_url), 'id="instruct-unit"')
    response = client.post(
        reverse("tasks:instruction_create"),
        {"unit": task_8.unit_id, "text": "请自查本单位报送情况", "next": page_url},
    )
    assert response["Location"] == page_url
    assert Instruction.objects.get().unit == task_8.unit
    # Somewhere else than this site is not followed.
    response = client.post(
        reverse("tasks:instruction_create"),
        {"unit": task_8.unit_id, "text": "再次提醒", "next": "https://example.com/"},
    )
    assert response["Location"] == reverse("tasks:instructions")
