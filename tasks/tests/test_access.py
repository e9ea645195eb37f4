"""The permission matrix: every portal URL for each kind of visitor."""

import datetime as dt

import pytest
from django.db import transaction
from django.urls import resolve, reverse

from tasks import extensions, instructions
from tasks.models import Task

from . import files
from .helpers import report, task_of

# Indicator 8 is led by 区数管局 (STAFF) with every 区级部门 as partner:
# 区办事服务中心 (OTHER_STAFF) and another department (CO_PARTNER) among them;
# a town (UNRELATED) has no part in it.
ANONYMOUS, STAFF, OTHER_STAFF, OFFICE, LEADER = "anonymous", "staff", "other_staff", "office", "leader"
CO_PARTNER, UNRELATED = "co_partner", "unrelated"
VISITORS = [ANONYMOUS, STAFF, OTHER_STAFF, CO_PARTNER, UNRELATED, OFFICE, LEADER]
LOGIN = "login"  # expected: 302 to the login page


@pytest.fixture
def world(task_8, staff, other_staff, office, leader):
    """区数管局's task 8, reported completed with a PDF, waiting for review;
    the partner 区办事服务中心's task 8, reported with a PDF of its own."""
    from django.contrib.auth import get_user_model

    from departments.models import Membership, Unit

    filed = report(
        task_8, staff, status=Task.Status.COMPLETED, percent=100, files=[files.upload("方案.pdf", files.PDF)]
    )
    task_8.refresh_from_db()
    partner_task = task_of("区办事服务中心", "8")
    assert partner_task.role == Task.Role.RESPONSIBLE
    partner_filed = report(partner_task, other_staff, files=[files.upload("配合.pdf", files.PDF)])
    partner_task.refresh_from_db()
    partner_extension = extensions.extension_request_create(
        task=partner_task,
        user=other_staff,
        requested_due_date=partner_task.due_date + dt.timedelta(days=31),
        reason="等省里接口",
        files=[files.upload("省里复函.pdf", files.PDF)],
    )
    on_8 = Task.objects.filter(indicator=task_8.indicator).values("unit")
    co_partner_unit = (
        Unit.objects.filter(pk__in=on_8).exclude(name__in=["区数管局", "区办事服务中心"]).first()
    )
    unrelated_unit = Unit.objects.units().exclude(pk__in=on_8).filter(tasks__isnull=False).first()
    users = {STAFF: staff, OTHER_STAFF: other_staff, OFFICE: office, LEADER: leader}
    for visitor, unit in [(CO_PARTNER, co_partner_unit), (UNRELATED, unrelated_unit)]:
        users[visitor] = get_user_model().objects.create_user(username=visitor)
        Membership.objects.create(user=users[visitor], unit=unit)
    instruction = instructions.instruction_create(user=leader, task=task_8, text="请月底前拿出方案")
    return {
        "task": task_8,
        "instruction": instruction,
        "evidence": filed.evidence.get(),
        "partner_task": partner_task,
        "partner_evidence": partner_filed.evidence.get(),
        "partner_extension_evidence": partner_extension.evidence.get(),
        "users": users,
    }


# Reads of the lead's task: its own unit, the office and leaders. Partners,
# like unrelated units, get 404: the lead reads its partners, not the reverse.
LEAD_READS = {
    ANONYMOUS: LOGIN,
    STAFF: 200,
    OTHER_STAFF: 404,
    CO_PARTNER: 404,
    UNRELATED: 404,
    OFFICE: 200,
    LEADER: 200,
}
# Reads of a partner's task: its own unit, the lead unit (牵头汇总), the
# office and leaders; not the other partners, not unrelated units.
PARTNER_READS = {**LEAD_READS, STAFF: 200, OTHER_STAFF: 200}


def _report_form(task):
    return {"version": task.version, "status": "in_progress", "percent": 60, "progress": "继续推进"}


def _review_form(task):
    return {"version": task.version, "decision": "returned", "reason": "请补充材料"}


def everyone(outcome) -> dict:
    return dict.fromkeys(VISITORS, outcome)


def unit_staff(outcome) -> dict:
    return {**dict.fromkeys([STAFF, OTHER_STAFF, CO_PARTNER, UNRELATED], outcome)}


# (name, method, url builder, form builder, expected per visitor[, the task
# the request is about]). An int is the status code; "login" a redirect to
# the login page; a URL name a redirect there.
CASES = [
    (
        "home",
        "get",
        lambda w: reverse("home"),
        None,
        {
            ANONYMOUS: LOGIN,
            **unit_staff("tasks:mine"),
            OFFICE: "dashboards:overview",
            LEADER: "dashboards:overview",
        },
    ),
    (
        "my tasks",
        "get",
        lambda w: reverse("tasks:mine"),
        None,
        {**everyone(200), ANONYMOUS: LOGIN},
    ),
    (
        "overview",
        "get",
        lambda w: reverse("tasks:overview"),
        None,
        {ANONYMOUS: LOGIN, **unit_staff(403), OFFICE: 200, LEADER: 200},
    ),
    (
        "all tasks as Excel",
        "get",
        lambda w: reverse("tasks:overview_export"),
        None,
        {ANONYMOUS: LOGIN, **unit_staff(403), OFFICE: 200, LEADER: 200},
    ),
    (
        "bulk review",
        "post",
        lambda w: reverse("tasks:review_bulk"),
        lambda task: {"task": [f"{task.pk}:{task.version}"], "next": reverse("tasks:overview")},
        {ANONYMOUS: LOGIN, **unit_staff(403), OFFICE: "tasks:overview", LEADER: 403},
    ),
    (
        "bulk reminder",
        "post",
        lambda w: reverse("reminders:remind_bulk"),
        lambda task: {"task": [str(task.pk)], "next": reverse("tasks:overview")},
        {ANONYMOUS: LOGIN, **unit_staff(403), OFFICE: "tasks:overview", LEADER: 403},
    ),
    (
        "completeness by month",
        "get",
        lambda w: reverse("dashboards:completeness"),
        None,
        {ANONYMOUS: LOGIN, **unit_staff(403), OFFICE: 200, LEADER: 200},
    ),
    (
        "completeness as Excel",
        "get",
        lambda w: reverse("dashboards:completeness_export"),
        None,
        {ANONYMOUS: LOGIN, **unit_staff(403), OFFICE: 200, LEADER: 200},
    ),
    (
        "the 通报 (Word)",
        "get",
        lambda w: reverse("dashboards:bulletin"),
        None,
        {ANONYMOUS: LOGIN, **unit_staff(403), OFFICE: 200, LEADER: 200},
    ),
    (
        "通报模板",
        "get",
        lambda w: reverse("dashboards:bulletin_templates"),
        None,
        {ANONYMOUS: LOGIN, **unit_staff(403), OFFICE: 200, LEADER: 403},
    ),
    (
        "通报模板 恢复默认",
        "post",
        lambda w: reverse("dashboards:bulletin_templates"),
        lambda task: {"action": "reset"},
        {ANONYMOUS: LOGIN, **unit_staff(403), OFFICE: "dashboards:bulletin_templates", LEADER: 403},
    ),
    (
        "own units' completeness",
        "get",
        lambda w: reverse("dashboards:unit_completeness_mine"),
        None,
        {ANONYMOUS: LOGIN, **unit_staff(200), OFFICE: 403, LEADER: 403},
    ),
    (
        "a unit's completeness",
        "get",
        lambda w: reverse("dashboards:unit_completeness", args=[w["task"].unit_id]),
        None,
        {ANONYMOUS: LOGIN, **unit_staff(404), STAFF: 200, OFFICE: 200, LEADER: 200},
    ),
    (
        "extension requests",
        "get",
        lambda w: reverse("tasks:extensions"),
        None,
        {ANONYMOUS: LOGIN, **unit_staff(403), OFFICE: 200, LEADER: 200},
    ),
    (
        "ask for an extension",
        "post",
        lambda w: reverse("tasks:extension_create", args=[w["task"].pk]),
        lambda task: {"requested_due_date": "2020-01-31", "reason": "需要省里配合"},
        {**LEAD_READS, STAFF: "tasks:detail", OFFICE: 403, LEADER: 403},
    ),
    # 批示: leaders and the office write and read them; the unit concerned
    # answers; another unit's staff get 404 on it, leaders and the office 403.
    (
        "instructions",
        "get",
        lambda w: reverse("tasks:instructions"),
        None,
        {ANONYMOUS: LOGIN, **unit_staff(403), OFFICE: 200, LEADER: 200},
    ),
    (
        "write an instruction on a task",
        "post",
        lambda w: reverse("tasks:instruction_create"),
        lambda task: {"task": task.pk, "scope": "indicator", "text": "各单位加快推进"},
        {ANONYMOUS: LOGIN, **unit_staff(403), OFFICE: "tasks:detail", LEADER: "tasks:detail"},
    ),
    (
        "write an instruction to a unit",
        "post",
        lambda w: reverse("tasks:instruction_create"),
        lambda task: {"unit": task.unit_id, "text": "请自查"},
        {ANONYMOUS: LOGIN, **unit_staff(403), OFFICE: "tasks:instructions", LEADER: "tasks:instructions"},
    ),
    (
        "answer an instruction",
        "post",
        lambda w: reverse("tasks:instruction_reply", args=[w["instruction"].pk]),
        lambda task: {"unit": task.unit_id, "text": "已落实"},
        {ANONYMOUS: LOGIN, **unit_staff(404), STAFF: "tasks:mine", OFFICE: 403, LEADER: 403},
    ),
    (
        "answer an instruction by GET",
        "get",
        lambda w: reverse("tasks:instruction_reply", args=[w["instruction"].pk]),
        None,
        everyone(405),
    ),
    ("task page", "get", lambda w: reverse("tasks:detail", args=[w["task"].pk]), None, LEAD_READS),
    (
        "missing task",
        "get",
        lambda w: reverse("tasks:detail", args=[10**9]),
        None,
        {**everyone(404), ANONYMOUS: LOGIN},
    ),
    (
        "report",
        "post",
        lambda w: reverse("tasks:report", args=[w["task"].pk]),
        _report_form,
        {**LEAD_READS, STAFF: "tasks:detail", OFFICE: 403, LEADER: 403},
    ),
    (
        "report by GET",
        "get",
        lambda w: reverse("tasks:report", args=[w["task"].pk]),
        None,
        everyone(405),
    ),
    (
        "review",
        "post",
        lambda w: reverse("tasks:review", args=[w["task"].pk]),
        _review_form,
        {**LEAD_READS, STAFF: 403, OFFICE: "tasks:detail", LEADER: 403},
    ),
    ("evidence file", "get", lambda w: reverse("tasks:evidence", args=[w["evidence"].pk]), None, LEAD_READS),
    (
        "evidence preview",
        "get",
        lambda w: reverse("tasks:evidence_preview", args=[w["evidence"].pk]),
        None,
        LEAD_READS,
    ),
    (
        "missing evidence file",
        "get",
        lambda w: reverse("tasks:evidence", args=[10**9]),
        None,
        {**everyone(404), ANONYMOUS: LOGIN},
    ),
    # 牵头汇总: the lead unit (STAFF) reads its partner's task and files.
    (
        "partner's task page",
        "get",
        lambda w: reverse("tasks:detail", args=[w["partner_task"].pk]),
        None,
        PARTNER_READS,
        "partner_task",
    ),
    (
        "partner's evidence file",
        "get",
        lambda w: reverse("tasks:evidence", args=[w["partner_evidence"].pk]),
        None,
        PARTNER_READS,
        "partner_task",
    ),
    (
        "partner's evidence preview",
        "get",
        lambda w: reverse("tasks:evidence_preview", args=[w["partner_evidence"].pk]),
        None,
        PARTNER_READS,
        "partner_task",
    ),
    # 延期申请's files: read like the task's (the lead reads its partner's).
    (
        "partner's extension file",
        "get",
        lambda w: reverse("tasks:extension_evidence", args=[w["partner_extension_evidence"].pk]),
        None,
        PARTNER_READS,
        "partner_task",
    ),
    (
        "partner's extension file preview",
        "get",
        lambda w: reverse("tasks:extension_evidence_preview", args=[w["partner_extension_evidence"].pk]),
        None,
        PARTNER_READS,
        "partner_task",
    ),
    (
        "missing extension file",
        "get",
        lambda w: reverse("tasks:extension_evidence", args=[10**9]),
        None,
        {**everyone(404), ANONYMOUS: LOGIN},
    ),
    (
        "report on a partner's task",
        "post",
        lambda w: reverse("tasks:report", args=[w["partner_task"].pk]),
        _report_form,
        {**PARTNER_READS, STAFF: 403, OTHER_STAFF: "tasks:detail", OFFICE: 403, LEADER: 403},
        "partner_task",
    ),
    (
        "review of a partner's task",
        "post",
        lambda w: reverse("tasks:review", args=[w["partner_task"].pk]),
        _review_form,
        {**PARTNER_READS, STAFF: 403, OTHER_STAFF: 403, OFFICE: 200, LEADER: 403},
        "partner_task",
    ),
]
CASES = [case if len(case) == 6 else (*case, "task") for case in CASES]


NOT_TASK_WRITES = {
    "ask for an extension",
    "write an instruction on a task",
    "write an instruction to a unit",
    "answer an instruction",
}


def _outcome(response) -> int | str:
    """What a visitor got: a status code, "login", or the URL name redirected to."""
    if response.status_code != 302:
        return response.status_code
    location = response["Location"].split("#")[0]
    if location.startswith(reverse("login") + "?next="):
        return LOGIN
    return resolve(location.split("?")[0]).view_name


@pytest.mark.parametrize(
    ("name", "method", "url", "form", "expected", "about"), CASES, ids=[c[0] for c in CASES]
)
def test_it_gives_each_visitor_exactly_what_it_should(
    client, world, name, method, url, form, expected, about
):
    """Each visitor's request runs in a savepoint that is rolled back, so all
    of them meet the same task in the same state."""
    target = url(world)
    task = world[about]
    got, wrote = {}, {}
    for visitor in VISITORS:
        with transaction.atomic():
            client.logout()
            if visitor != ANONYMOUS:
                client.force_login(world["users"][visitor])
            before = Task.objects.get(pk=task.pk).version
            response = getattr(client, method)(target, form(task) if form else None)
            got[visitor] = _outcome(response)
            wrote[visitor] = Task.objects.get(pk=task.pk).version != before
            transaction.set_rollback(True)
    assert got == expected
    # Only a successful POST changes the task (a bulk reminder writes a notice, not the task).
    writes = "tasks:overview" if name == "bulk review" else "tasks:detail"
    # An extension request writes a request, an instruction or its answer
    # their own rows: none of them the task.
    changes_task = method == "post" and name not in NOT_TASK_WRITES
    assert wrote == {v: changes_task and expected[v] == writes for v in VISITORS}


def test_it_serves_evidence_as_an_attachment_with_the_type_its_content_proved(client, world):
    client.force_login(world["users"][STAFF])
    response = client.get(reverse("tasks:evidence", args=[world["evidence"].pk]))
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"].startswith("attachment;")
    assert response["X-Content-Type-Options"] == "nosniff"
    assert b"".join(response.streaming_content) == files.PDF


def test_it_serves_an_extension_requests_file_like_a_reports(client, world):
    """The office reads the file a unit sent with its request: previewed
    sandboxed, never sniffed, as evidence of a report is."""
    client.force_login(world["users"][OFFICE])
    file = world["partner_extension_evidence"]
    page = client.get(reverse("tasks:extensions")).content.decode()
    assert reverse("tasks:extension_evidence_preview", args=[file.pk]) in page
    assert "省里复函.pdf" in page

    response = client.get(reverse("tasks:extension_evidence_preview", args=[file.pk]))

    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"].startswith("inline;")
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Security-Policy"].startswith("sandbox;")
    assert b"".join(response.streaming_content) == files.PDF


def _file_of(task, user, name, content):
    filed = report(task, user, files=[files.upload(name, content)])
    return filed.evidence.get()


def _sandboxed(response) -> bool:
    policy = [part.strip() for part in response["Content-Security-Policy"].split(";")]
    return "sandbox" in policy and "default-src 'none'" in policy


@pytest.mark.parametrize(
    ("name", "content", "content_type"),
    [
        ("方案.pdf", files.PDF, "application/pdf"),
        ("截图.png", files.PNG, "image/png"),
        ("照片.jpg", files.JPEG, "image/jpeg"),
    ],
)
def test_it_previews_pdf_and_images_inline_in_a_sandbox(client, world, name, content, content_type):
    staff = world["users"][STAFF]
    evidence = _file_of(world["task"], staff, name, content)
    client.force_login(staff)
    response = client.get(reverse("tasks:evidence_preview", args=[evidence.pk]))
    assert response["Content-Type"] == content_type
    assert response["Content-Disposition"].startswith("inline;")
    assert response["X-Content-Type-Options"] == "nosniff"
    assert _sandboxed(response)
    assert b"".join(response.streaming_content) == content


def test_it_downloads_every_other_kind_even_when_a_preview_is_asked(client, world):
    staff = world["users"][STAFF]
    evidence = _file_of(world["task"], staff, "表.xlsx", files.XLSX)
    client.force_login(staff)
    response = client.get(reverse("tasks:evidence_preview", args=[evidence.pk]))
    assert response["Content-Disposition"].startswith("attachment;")
    assert response["X-Content-Type-Options"] == "nosniff"
    assert _sandboxed(response)


def test_it_offers_a_preview_link_only_for_pdf_and_images(client, world):
    staff = world["users"][STAFF]
    sheet = _file_of(world["task"], staff, "表.xlsx", files.XLSX)
    client.force_login(staff)
    page = client.get(reverse("tasks:detail", args=[world["task"].pk])).content.decode()
    assert reverse("tasks:evidence_preview", args=[world["evidence"].pk]) in page
    assert reverse("tasks:evidence_preview", args=[sheet.pk]) not in page


def test_it_sandboxes_a_download_too(client, world):
    client.force_login(world["users"][STAFF])
    response = client.get(reverse("tasks:evidence", args=[world["evidence"].pk]))
    assert _sandboxed(response)


def test_it_never_serves_evidence_from_a_media_url(client, world, settings):
    client.force_login(world["users"][STAFF])
    path = settings.MEDIA_URL + world["evidence"].file.name
    assert client.get(path).status_code == 404
    assert client.get("/media/" + world["evidence"].file.name).status_code == 404


def test_it_lets_staff_of_several_units_into_each(client, world, other_staff):
    from .helpers import join

    join(other_staff, "区数管局")
    client.force_login(other_staff)
    assert client.get(reverse("tasks:detail", args=[world["task"].pk])).status_code == 200
    assert client.get(reverse("tasks:evidence", args=[world["evidence"].pk])).status_code == 200


def test_it_treats_an_inactive_membership_like_none(client, world, staff):
    staff.memberships.all().delete()
    client.force_login(staff)
    assert client.get(reverse("tasks:detail", args=[world["task"].pk])).status_code == 404


def test_it_refuses_a_post_without_the_csrf_token(world):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    client.force_login(world["users"][STAFF])
    task = world["task"]
    response = client.post(reverse("tasks:report", args=[task.pk]), _report_form(task))
    assert response.status_code == 403
    assert Task.objects.get(pk=task.pk).version == task.version


def test_it_answers_refusals_in_chinese(client, world):
    client.force_login(world["users"][OTHER_STAFF])
    missing = client.get(reverse("tasks:detail", args=[world["task"].pk]))
    assert "没有找到您要的页面" in missing.content.decode()
    client.force_login(world["users"][LEADER])
    refused = client.post(reverse("tasks:review", args=[world["task"].pk]), _review_form(world["task"]))
    assert "您的账号只能查看，不能修改。" in refused.content.decode()


def test_it_decides_one_task_exactly_as_the_lists_do(
    plan_2019, staff, other_staff, office, leader, admin_user
):
    """get_task_for_user checks can_read on the task it read; the lists
    filter with visible_tasks: the same rule, for every user and task, a
    withdrawn lead task included (its partners are no longer the lead's)."""
    from django.contrib.auth import get_user_model

    from tasks import access

    withdrawn = (
        Task.objects.filter(unit__name="区数管局", role=Task.Role.LEAD).exclude(indicator__code="8").first()
    )
    Task.objects.filter(pk=withdrawn.pk).update(is_active=False)
    nobody = get_user_model().objects.create_user("nobody", password="x")
    tasks = list(Task.objects.all())
    for user in (staff, other_staff, office, leader, admin_user, nobody):
        user = type(user).objects.get(pk=user.pk)  # no role cache from an earlier check
        visible = set(access.visible_tasks(user).values_list("pk", flat=True))
        assert {t.pk for t in tasks if access.can_read(user, t)} == visible, user
        assert 0 < len(visible) < len(tasks) or user in (office, leader, admin_user, nobody)
