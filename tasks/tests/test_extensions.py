"""延期申请: a unit asks for a later due date, the reform office approves
(possibly another date) or rejects; approval moves the due date, keeps it
through a resync of the plan and tells the apps above; every request and
the original date stay in the history."""

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from pytest_django.asserts import assertContains, assertNotContains

from tasks import extensions, signals
from tasks.models import ExtensionRequest, Review, Task
from tasks.services import task_sync_plan

from . import files
from .helpers import report, review

DEC_31, JAN_31, FEB_28 = dt.date(2019, 12, 31), dt.date(2020, 1, 31), dt.date(2020, 2, 28)


def ask(task, user, date=JAN_31, reason="系统对接需要省里配合"):
    return extensions.extension_request_create(task=task, user=user, requested_due_date=date, reason=reason)


def decide(request, user, *, approve=True, due_date=None, comment=""):
    return extensions.extension_decide(
        extension=request, user=user, approve=approve, due_date=due_date, comment=comment
    )


# Asking


def test_it_records_a_request_with_the_date_as_it_stood(task_8, staff):
    request = ask(task_8, staff)
    assert (request.status, request.due_date_before, request.requested_due_date) == (
        "pending",
        DEC_31,
        JAN_31,
    )
    assert request.history.get().history_user == staff
    assert Task.objects.get(pk=task_8.pk).due_date == DEC_31  # nothing moves before the office decides


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"date": DEC_31}, "申请的日期应晚于现在的截止日期（2019年12月31日）"),
        ({"date": dt.date(2019, 11, 30)}, "申请的日期应晚于"),
        ({"reason": "  "}, "请填写延期理由"),
    ],
)
def test_it_refuses_a_request_without_a_later_date_or_a_reason(task_8, staff, kwargs, message):
    with pytest.raises(ValidationError, match=message):
        ask(task_8, staff, **kwargs)
    assert not ExtensionRequest.objects.exists()


def test_it_refuses_a_second_request_while_one_waits(task_8, staff):
    ask(task_8, staff)
    with pytest.raises(ValidationError, match="已有一份延期申请在等待审批"):
        ask(task_8, staff, date=FEB_28)


def test_it_refuses_a_request_on_a_verified_task(task_8, staff, office):
    report(task_8, staff, status=Task.Status.COMPLETED, percent=100)
    review(task_8, office, Review.Decision.VERIFIED)
    with pytest.raises(ValidationError, match="已核实办结，不能申请延期"):
        ask(Task.objects.get(pk=task_8.pk), staff)


@pytest.mark.parametrize("who", ["other_staff", "office", "leader"])
def test_it_lets_only_the_units_staff_ask(request, task_8, who):
    with pytest.raises(PermissionDenied):
        ask(task_8, request.getfixturevalue(who))


# Deciding


def test_it_moves_the_due_date_on_approval_and_keeps_the_original_in_the_history(
    task_8, staff, office, django_capture_on_commit_callbacks
):
    heard = []

    def listen(sender, task_ids, why, **kwargs):
        heard.append((task_ids, why))

    signals.tasks_changed.connect(listen)
    try:
        with django_capture_on_commit_callbacks(execute=True):
            decided = decide(ask(task_8, staff), office, comment="同意")
    finally:
        signals.tasks_changed.disconnect(listen)
    task = Task.objects.get(pk=task_8.pk)
    assert (task.due_date, task.extended_due_date) == (JAN_31, JAN_31)
    assert (decided.status, decided.approved_due_date, decided.decided_by) == ("approved", JAN_31, office)
    record = task.history.order_by("-history_id").first()
    assert (record.history_user, record.history_change_reason) == (
        office,
        "批准延期：2019年12月31日 → 2020年1月31日",
    )
    assert ([task.pk], "extended") in heard


def test_it_approves_another_date_than_the_one_asked(task_8, staff, office):
    decide(ask(task_8, staff, date=FEB_28), office, due_date=JAN_31)
    assert Task.objects.get(pk=task_8.pk).due_date == JAN_31


def test_it_rejects_with_a_comment_and_moves_nothing(task_8, staff, office):
    with pytest.raises(ValidationError, match="不批准时请填写审批意见"):
        decide(ask(task_8, staff), office, approve=False)
    request = ExtensionRequest.objects.get()
    decide(request, office, approve=False, comment="年底前必须完成")
    request.refresh_from_db()
    assert (request.status, request.comment) == ("rejected", "年底前必须完成")
    assert Task.objects.get(pk=task_8.pk).due_date == DEC_31
    ask(task_8, staff, date=FEB_28)  # a new request may follow a rejected one


@pytest.mark.parametrize("who", ["staff", "other_staff", "leader"])
def test_it_lets_only_the_office_decide(request, task_8, staff, who):
    pending = ask(task_8, staff)
    with pytest.raises(PermissionDenied):
        decide(pending, request.getfixturevalue(who))
    assert ExtensionRequest.objects.get().status == "pending"


def test_it_refuses_to_decide_twice_or_to_move_a_task_verified_meanwhile(task_8, staff, office):
    first = ask(task_8, staff)
    decide(first, office, approve=False, comment="不行")
    with pytest.raises(ValidationError, match="已经审批过了"):
        decide(first, office)
    second = ask(Task.objects.get(pk=task_8.pk), staff)
    report(task_8, staff, status=Task.Status.COMPLETED, percent=100)
    review(task_8, office, Review.Decision.VERIFIED)
    with pytest.raises(ValidationError, match="已核实办结，不能再延期"):
        decide(second, office)
    assert Task.objects.get(pk=task_8.pk).due_date == DEC_31


def test_it_refuses_an_approved_date_not_after_the_original(task_8, staff, office):
    with pytest.raises(ValidationError, match="批准的日期应晚于原截止日期"):
        decide(ask(task_8, staff), office, due_date=DEC_31)


def test_it_keeps_an_approved_extension_through_a_resync_of_the_plan(task_8, staff, office, plan_2019):
    decide(ask(task_8, staff), office)
    task_sync_plan(plan=plan_2019)
    assert Task.objects.get(pk=task_8.pk).due_date == JAN_31


# The pages


def test_it_lets_the_unit_ask_and_the_office_decide_on_the_task_page(client, task_8, staff, office):
    url = reverse("tasks:detail", args=[task_8.pk])
    client.force_login(staff)
    assertContains(client.get(url), 'id="extension-request"')
    response = client.post(
        reverse("tasks:extension_create", args=[task_8.pk]),
        {"requested_due_date": "2020-01-31", "reason": "需要省里配合"},
        follow=True,
    )
    assertContains(response, "延期申请已提交，等待跑改办审批。")
    assertNotContains(response, 'id="extension-request"')  # one waits
    pending = ExtensionRequest.objects.get()

    client.force_login(office)
    assertContains(client.get(url), 'id="extension-decision"')
    assertContains(client.get(reverse("tasks:extensions")), "需要省里配合")
    response = client.post(
        reverse("tasks:extension_decide", args=[pending.pk]),
        {"decision": "approve", "due_date": "2020-02-28"},
        follow=True,
    )
    assertContains(response, "已批准延期，截止日期改为2020年2月28日。")
    assertContains(response, "原定2019年12月31日")
    assert Task.objects.get(pk=task_8.pk).due_date == FEB_28


def test_it_shows_a_refusal_in_chinese_without_writing(client, task_8, staff):
    client.force_login(staff)
    response = client.post(
        reverse("tasks:extension_create", args=[task_8.pk]),
        {"requested_due_date": "2019-12-01", "reason": "x"},
        follow=True,
    )
    assertContains(response, "延期申请没有提交：申请的日期应晚于现在的截止日期（2019年12月31日）。")
    response = client.post(
        reverse("tasks:extension_create", args=[task_8.pk]), {"requested_due_date": "not a date"}, follow=True
    )
    assertContains(response, "延期申请没有提交：")
    assert not ExtensionRequest.objects.exists()


def test_it_refuses_the_extension_pages_to_those_who_may_not(
    client, task_8, staff, other_staff, leader, office
):
    pending = ask(task_8, staff)
    decide_url = reverse("tasks:extension_decide", args=[pending.pk])
    client.force_login(staff)
    assert client.post(decide_url, {"decision": "approve"}).status_code == 403
    assert client.get(reverse("tasks:extensions")).status_code == 403
    client.force_login(other_staff)
    assert client.post(decide_url, {"decision": "approve"}).status_code == 404
    assert client.post(reverse("tasks:extension_create", args=[task_8.pk]), {}).status_code == 404
    client.force_login(leader)
    assert client.post(decide_url, {"decision": "approve"}).status_code == 403
    assert client.get(reverse("tasks:extensions")).status_code == 200
    client.force_login(office)
    assert (
        client.post(
            reverse("tasks:extension_create", args=[task_8.pk]),
            {"requested_due_date": "2020-01-31", "reason": "x"},
        ).status_code
        == 403
    )
    assert ExtensionRequest.objects.get().status == "pending"


# Evidence with a request


def test_it_keeps_the_files_sent_with_a_request_whatever_the_decision(client, task_8, staff, office):
    client.force_login(staff)
    response = client.post(
        reverse("tasks:extension_create", args=[task_8.pk]),
        {
            "requested_due_date": "2020-01-31",
            "reason": "等省里接口",
            "files": [files.upload("省里复函.pdf", files.PDF), files.upload("进度表.xlsx", files.XLSX)],
        },
        follow=True,
    )
    assertContains(response, "延期申请已提交，等待跑改办审批。")
    pending = ExtensionRequest.objects.get()
    assert sorted(pending.evidence.values_list("original_name", "kind")) == [
        ("省里复函.pdf", "pdf"),
        ("进度表.xlsx", "xlsx"),
    ]
    decide(pending, office, approve=False, comment="请先报方案")

    client.force_login(office)
    page = client.get(reverse("tasks:detail", args=[task_8.pk]))
    pdf = pending.evidence.get(kind="pdf")
    assertContains(page, reverse("tasks:extension_evidence_preview", args=[pdf.pk]))
    assertContains(page, "进度表.xlsx")
    response = client.get(reverse("tasks:extension_evidence", args=[pdf.pk]))
    assert response["Content-Disposition"].startswith("attachment;")
    assert b"".join(response.streaming_content) == files.PDF


def test_it_refuses_a_file_that_is_not_acceptable_and_writes_nothing(client, task_8, staff):
    client.force_login(staff)
    response = client.post(
        reverse("tasks:extension_create", args=[task_8.pk]),
        {
            "requested_due_date": "2020-01-31",
            "reason": "等省里接口",
            "files": [files.upload("说明.pdf", files.EXE)],
        },
        follow=True,
    )
    assertContains(response, "延期申请没有提交：")
    assertContains(response, "“说明.pdf”不是可接受的文件")
    assert not ExtensionRequest.objects.exists()
    with pytest.raises(ValidationError, match="不是可接受的文件"):
        extensions.extension_request_create(
            task=task_8,
            user=staff,
            requested_due_date=JAN_31,
            reason="等省里接口",
            files=[files.upload("说明.pdf", files.EXE)],
        )
    assert not ExtensionRequest.objects.exists()
