import pytest
from django.core.exceptions import ValidationError

from tasks import services
from tasks.models import Evidence, ProgressReport, Review, Task

from . import files
from .helpers import report, review


def test_it_files_a_report_and_moves_the_task_to_its_status(task_8, staff):
    created = report(
        task_8,
        staff,
        status=Task.Status.IN_PROGRESS,
        percent=40,
        progress="完成归档系统招标",
        problems="无",
        next_steps="9月上线",
    )
    task_8.refresh_from_db()
    assert (task_8.status, task_8.version) == (Task.Status.IN_PROGRESS, 1)
    assert (created.author, created.percent, created.progress, created.next_steps) == (
        staff,
        40,
        "完成归档系统招标",
        "9月上线",
    )


def test_it_stores_evidence_files_under_a_random_name_and_keeps_the_original_name(task_8, staff, media_root):
    created = report(
        task_8,
        staff,
        files=[files.upload("../../归档方案.pdf", files.PDF), files.upload("台账.xlsx", files.XLSX)],
    )
    stored = list(created.evidence.all())
    assert [(e.original_name, e.kind, e.size) for e in stored] == [
        ("归档方案.pdf", "pdf", len(files.PDF)),  # Django drops the path part
        ("台账.xlsx", "xlsx", len(files.XLSX)),
    ]
    for evidence in stored:
        path = media_root / evidence.file.name
        assert path.is_file() and path.is_relative_to(media_root / "evidence")
        assert ".." not in evidence.file.name and "归档" not in evidence.file.name
    assert stored[0].download_name == "归档方案.pdf"


def test_it_refuses_a_disguised_file_and_writes_nothing(task_8, staff, media_root):
    with pytest.raises(ValidationError):
        report(task_8, staff, files=[files.upload("a.pdf", files.PDF), files.upload("b.pdf", files.EXE)])
    task_8.refresh_from_db()
    assert (task_8.version, task_8.status) == (0, Task.Status.NOT_STARTED)
    assert not ProgressReport.objects.exists() and not Evidence.objects.exists()
    assert not (media_root / "evidence").exists()


def test_it_insists_that_a_completed_report_says_100_percent(task_8, staff):
    with pytest.raises(ValidationError) as error:
        report(task_8, staff, status=Task.Status.COMPLETED, percent=90)
    assert error.value.code == "percent"


def test_it_refuses_a_stale_report_and_keeps_the_first(task_8, staff):
    """Two people open the task at version 0; the first save wins, the second
    is told, and nothing of it is written."""
    first = services.progress_report_create(
        task=task_8, user=staff, expected_version=0, status="in_progress", percent=20, progress="第一人"
    )
    stale = Task.objects.get(pk=task_8.pk)
    with pytest.raises(services.TaskConflict) as conflict:
        services.progress_report_create(
            task=stale, user=staff, expected_version=0, status="completed", percent=100, progress="第二人"
        )
    assert conflict.value.task.version == 1
    assert list(ProgressReport.objects.values_list("progress", flat=True)) == ["第一人"]
    assert first.task.version == 1


def test_it_claims_the_version_in_the_database_not_in_memory(task_8, staff, office):
    """The version check is the UPDATE's WHERE clause: a task object that
    looks current but whose row moved on in between still loses."""
    loaded = Task.objects.get(pk=task_8.pk)
    Task.objects.filter(pk=task_8.pk).update(version=5)  # someone else, after we loaded
    with pytest.raises(services.TaskConflict):
        services.progress_report_create(
            task=loaded, user=staff, expected_version=0, status="in_progress", percent=10, progress="x"
        )
    assert not ProgressReport.objects.exists()


def test_it_verifies_a_completed_task(task_8, staff, office):
    report(task_8, staff, status=Task.Status.COMPLETED, percent=100)
    done = review(task_8, office, Review.Decision.VERIFIED)
    task_8.refresh_from_db()
    assert (task_8.status, task_8.version, done.reviewer) == (Task.Status.VERIFIED, 2, office)
    with pytest.raises(ValidationError) as error:
        report(task_8, staff)
    assert error.value.code == "closed"


def test_it_returns_a_task_only_with_a_reason(task_8, staff, office):
    report(task_8, staff, status=Task.Status.COMPLETED, percent=100)
    with pytest.raises(ValidationError) as error:
        review(task_8, office, Review.Decision.RETURNED, "   ")
    assert error.value.code == "reason"
    review(task_8, office, Review.Decision.RETURNED, "请补充归档率截图")
    task_8.refresh_from_db()
    assert task_8.status == Task.Status.RETURNED
    # The unit reports again, and the task waits for review once more.
    report(task_8, staff, status=Task.Status.COMPLETED, percent=100)
    task_8.refresh_from_db()
    assert task_8.awaits_review


@pytest.mark.parametrize("status", [Task.Status.NOT_STARTED, Task.Status.IN_PROGRESS, Task.Status.RETURNED])
def test_it_reviews_only_tasks_reported_completed(task_8, office, status):
    Task.objects.filter(pk=task_8.pk).update(status=status)
    with pytest.raises(ValidationError) as error:
        review(task_8, office, Review.Decision.VERIFIED)
    assert error.value.code == "state"
    assert not Review.objects.exists()


def test_it_refuses_a_stale_review(task_8, staff, office):
    report(task_8, staff, status=Task.Status.COMPLETED, percent=100)
    task_8.refresh_from_db()
    seen = task_8.version
    report(task_8, staff, status=Task.Status.IN_PROGRESS, percent=80, progress="发现还差一项")
    task_8.refresh_from_db()
    with pytest.raises(services.TaskConflict):
        services.task_review(task=task_8, user=office, decision="verified", expected_version=seen)
    assert not Review.objects.exists()


def test_it_records_who_changed_what_and_why(task_8, staff, office):
    report(task_8, staff, status=Task.Status.COMPLETED, percent=100)
    review(task_8, office, Review.Decision.RETURNED, "材料不全")
    history = list(task_8.history.order_by("history_date", "history_id"))
    assert [(h.history_type, h.status, h.history_user, h.history_change_reason) for h in history] == [
        ("+", "not_started", None, None),  # created by the import
        ("~", "completed", staff, "进展报送"),
        ("~", "returned", office, "退回"),
    ]
    assert [h.version for h in history] == [0, 1, 2]
    assert ProgressReport.history.get().history_user == staff
    assert Review.history.get().history_user == office
