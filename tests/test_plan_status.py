"""The plan's status: 草案 → 征求意见 → 执行中 → 已结束, each change a service
refused in the wrong order, recorded in the history with who; and what each
status allows (tasks, reports, reviews, reminders)."""

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.urls import reverse

from conftest import ANNEX_XLSX
from departments.models import Unit
from indicators.annex import parse_grid, read_grid
from indicators.models import Plan
from indicators.services import annex_import, plan_adopt, plan_close
from reminders.models import Reminder
from reminders.tests.helpers import at, sweep_at
from tasks.models import Review, Task
from tasks.tests.helpers import report, review, task_of

Status = Plan.Status


def import_2019(**kwargs):
    return annex_import(annex=parse_grid(read_grid(ANNEX_XLSX.read_bytes())), **kwargs)


@pytest.fixture
def draft_2019(units):
    assert import_2019(draft=True).ok
    return Plan.objects.get(year=2019)


def test_it_imports_a_new_plan_as_active_with_its_tasks_by_default(plan_2019):
    assert plan_2019.status == Status.ACTIVE
    assert Task.objects.for_plan(plan_2019).count() > 400


def test_it_imports_a_draft_with_no_tasks_from_the_command(units, capsys):
    call_command("import_annex", str(ANNEX_XLSX), "--draft")

    plan = Plan.objects.get(year=2019)
    assert plan.status == Status.DRAFT
    assert plan.indicators.count() == 53 + plan.indicators.exclude(parent=None).count()
    assert not Task.objects.for_plan(plan).exists()


def test_it_adopts_a_draft_creating_its_tasks_and_recording_who(draft_2019, office):
    plan_adopt(plan=draft_2019, user=office)

    draft_2019.refresh_from_db()
    assert draft_2019.status == Status.ACTIVE
    assert Task.objects.for_plan(draft_2019).count() > 400
    last = draft_2019.history.order_by("-history_id").first()
    assert (last.status, last.history_user, last.history_change_reason) == (Status.ACTIVE, office, "执行中")


def test_it_adopts_a_plan_in_consultation(draft_2019, office):
    Plan.objects.filter(pk=draft_2019.pk).update(status=Status.CONSULTATION)
    draft_2019.refresh_from_db()

    plan_adopt(plan=draft_2019, user=office)

    assert Plan.objects.get(pk=draft_2019.pk).status == Status.ACTIVE


@pytest.mark.parametrize("status", [Status.ACTIVE, Status.CLOSED])
def test_it_refuses_to_adopt_a_plan_already_adopted(plan_2019, office, status):
    Plan.objects.filter(pk=plan_2019.pk).update(status=status)
    plan_2019.refresh_from_db()
    history = plan_2019.history.count()

    with pytest.raises(ValidationError) as error:
        plan_adopt(plan=plan_2019, user=office)

    label = Status(status).label
    assert error.value.messages == [f"只有草案或征求意见中的计划可以通过执行：2019年度计划当前为“{label}”。"]
    assert Plan.objects.get(pk=plan_2019.pk).status == status
    assert plan_2019.history.count() == history


def test_it_refuses_to_adopt_a_plan_with_no_indicators(db, office):
    plan = Plan.objects.create(year=2030, title="空计划", status=Status.DRAFT)

    with pytest.raises(ValidationError, match="还没有任何指标"):
        plan_adopt(plan=plan, user=office)
    assert Plan.objects.get(pk=plan.pk).status == Status.DRAFT


def test_it_closes_an_active_plan_keeping_its_tasks(plan_2019, office):
    tasks = Task.objects.for_plan(plan_2019).count()

    plan_close(plan=plan_2019, user=office)

    assert Plan.objects.get(pk=plan_2019.pk).status == Status.CLOSED
    assert Task.objects.for_plan(plan_2019).count() == tasks
    last = plan_2019.history.order_by("-history_id").first()
    assert (last.status, last.history_user) == (Status.CLOSED, office)


@pytest.mark.parametrize("status", [Status.DRAFT, Status.CONSULTATION, Status.CLOSED])
def test_it_refuses_to_close_a_plan_that_is_not_active(plan_2019, office, status):
    Plan.objects.filter(pk=plan_2019.pk).update(status=status)
    plan_2019.refresh_from_db()

    with pytest.raises(ValidationError) as error:
        plan_close(plan=plan_2019, user=office)

    label = Status(status).label
    assert error.value.messages == [f"只有执行中的计划可以结束：2019年度计划当前为“{label}”。"]


def test_it_applies_a_revised_annex_to_a_draft_without_making_tasks(draft_2019):
    report_ = import_2019()

    assert report_.ok
    assert Plan.objects.get(pk=draft_2019.pk).status == Status.DRAFT
    assert not Task.objects.for_plan(draft_2019).exists()


def test_it_refuses_to_import_into_a_closed_plan_and_writes_nothing(plan_2019, office):
    plan_close(plan=plan_2019, user=office)
    plan_2019.indicators.filter(code="1").update(task_text="改过的文字")

    result = import_2019()

    assert not result.ok
    assert [str(p) for p in result.errors] == [
        "2019年度计划已结束，不能再导入：已结束的计划只读。如需修改，请联系系统管理员。"
    ]
    assert plan_2019.indicators.get(code="1").task_text == "改过的文字"


def test_it_refuses_reports_and_reviews_on_a_closed_plan(plan_2019, staff, office):
    task = task_of("区数管局", "8")
    report(task, staff, status=Task.Status.COMPLETED, percent=100)
    plan_close(plan=plan_2019, user=office)

    with pytest.raises(ValidationError, match="2019年度计划已结束，只能查看，不再接受报送。"):
        report(task, staff)
    with pytest.raises(ValidationError, match="2019年度计划已结束，只能查看，不再审核。"):
        review(task, office, Review.Decision.VERIFIED)
    task.refresh_from_db()
    assert task.status == Task.Status.COMPLETED


def test_it_shows_a_closed_plans_task_read_only(plan_2019, staff, office, client):
    task = task_of("区数管局", "8")
    plan_close(plan=plan_2019, user=office)
    client.force_login(staff)

    page = client.get(reverse("tasks:detail", args=[task.pk])).content.decode()

    assert 'id="plan-closed"' in page
    assert "已结束" in page
    assert reverse("tasks:report", args=[task.pk]) not in page
    posted = client.post(
        reverse("tasks:report", args=[task.pk]),
        {"version": task.version, "status": "in_progress", "percent": 10, "progress": "x"},
    )
    assert "不再接受报送" in posted.content.decode()
    assert not task.progress_reports.exists()


def test_it_records_no_reminder_for_a_closed_plan(plan_2019, office):
    plan_close(plan=plan_2019, user=office)

    result = sweep_at(at(2019, 9, 25))

    assert sum(result.found.values()) == 0
    assert not Reminder.objects.exists()


def test_it_cancels_the_unsent_notices_of_a_plan_it_closes(
    plan_2019, office, django_capture_on_commit_callbacks
):
    sweep_at(at(2019, 9, 25), deliver=False)
    assert Reminder.objects.live().filter(sent_at=None).exists()

    with django_capture_on_commit_callbacks(execute=True):
        plan_close(plan=plan_2019, user=office)

    assert not Reminder.objects.live().filter(sent_at=None).exists()
    assert set(Reminder.objects.values_list("void_reason", flat=True)) == {"计划已结束"}


def test_it_gives_a_closed_plan_no_new_tasks_when_a_group_gains_a_member(plan_2019, office):
    plan_close(plan=plan_2019, user=office)
    tasks = Task.objects.for_plan(plan_2019).count()
    group = Unit.objects.groups().filter(member_type="").first()
    newcomer = Unit.objects.create(name="新设单位", kind=Unit.Kind.UNIT)

    group.members.add(newcomer)

    assert Task.objects.for_plan(plan_2019).count() == tasks


def test_it_shows_the_status_beside_the_plan_in_the_task_lists(plan_2019, office, client):
    Plan.objects.create(year=2020, title="2020年度计划", status=Status.DRAFT)
    plan_close(plan=plan_2019, user=office)
    client.force_login(office)

    page = client.get(reverse("tasks:overview")).content.decode()

    assert 'data-plan-status="closed"' in page
    dashboard = client.get(reverse("dashboards:overview")).content.decode()
    assert "2019年度（已结束）" in dashboard


def test_it_filters_the_admins_plan_list_by_status(plan_2019, admin_user, client):
    Plan.objects.create(year=2020, title="二〇二〇草案", status=Status.DRAFT)
    client.force_login(admin_user)

    page = client.get(reverse("admin:indicators_plan_changelist"), {"status__exact": "draft"})

    assert "二〇二〇草案" in page.content.decode()
    assert plan_2019.title not in page.content.decode()
