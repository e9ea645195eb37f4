"""The office chases in bulk: 全部任务's filters and Excel export, 核实所选
(all or nothing). 催办所选 is reminders/tests/test_bulk_remind.py."""

import io
import re

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse
from openpyxl import load_workbook
from pytest_django.asserts import assertContains

from departments.models import Unit
from tasks.models import Review, Task

from .helpers import completed_tasks, report, task_of
from .helpers import ticks as _ticks


def messages_of(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


def codes(response) -> list[tuple[str, str]]:
    return [(t.indicator.code, t.unit.name) for t in response.context["listing"].rows]


# Filters


def test_it_filters_every_task_by_unit_role_status_and_month_due(client, office, staff, plan_2019, july_15):
    report(task_of("区数管局", "8"), staff, percent=30)
    sgj = Unit.objects.get(name="区数管局")
    client.force_login(office)

    by_unit = client.get(reverse("tasks:overview"), {"unit": sgj.pk})
    assert {unit for _code, unit in codes(by_unit)} == {"区数管局"}
    assert len(codes(by_unit)) == Task.objects.filter(unit=sgj).count()

    narrow = client.get(
        reverse("tasks:overview"), {"unit": sgj.pk, "role": "lead", "status": "in_progress", "due": "12"}
    )
    assert codes(narrow) == [("8", "区数管局")]
    # The tabs count within the filters and keep them in their links.
    assert {key: count for key, _label, count in narrow.context["tabs"]}["all"] == 1
    assertContains(narrow, f"?unit={sgj.pk}&amp;role=lead&amp;status=in_progress&amp;due=12&amp;show=overdue")


@pytest.mark.parametrize(
    ("param", "value"),
    [("unit", "abc"), ("unit", "999999999"), ("role", "boss"), ("status", "\x00"), ("due", "13")],
)
def test_it_names_a_bad_filter_and_shows_every_task(client, office, plan_2019, param, value):
    client.force_login(office)
    response = client.get(reverse("tasks:overview"), {param: value})
    assert response.status_code == 200
    assert len(codes(response)) == Task.objects.active().count()
    assertContains(response, "没有这个选项，已按默认显示。")


# Export


def test_it_exports_the_filtered_list_with_numbers_as_numbers(client, office, staff, plan_2019, july_15):
    report(task_of("区数管局", "8"), staff, percent=30, progress='=HYPERLINK("http://x")')
    sgj = Unit.objects.get(name="区数管局")
    client.force_login(office)
    response = client.get(reverse("tasks:overview_export"), {"unit": sgj.pk, "show": "all"})
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    assert "attachment" in response["Content-Disposition"] and ".xlsx" in response["Content-Disposition"]
    sheet = load_workbook(io.BytesIO(response.content)).active
    rows = list(sheet.iter_rows(min_row=3))
    assert len(rows) == Task.objects.filter(unit=sgj).count()
    assert {row[3].value for row in rows} == {"区数管局"}
    row_8 = next(row for row in rows if row[0].value == "8")
    assert (row_8[7].value, row_8[7].data_type, row_8[7].number_format) == (0.3, "n", "0%")  # shows 30%
    overdue = next(row for row in rows if row[0].value == "2")  # due 30 June, 15 days late
    assert (overdue[9].value, overdue[9].data_type, overdue[9].number_format) == (15, "n", "0")
    assert all(cell.data_type != "f" for row in sheet.iter_rows() for cell in row)


def test_it_lets_leaders_export_and_refuses_staff(client, leader, staff, plan_2019):
    client.force_login(leader)
    assert client.get(reverse("tasks:overview_export")).status_code == 200
    client.force_login(staff)
    assert client.get(reverse("tasks:overview_export")).status_code == 403


# 核实所选


@pytest.fixture
def completed(plan_2019, staff, other_staff):
    return completed_tasks(staff)


def test_it_verifies_the_ticked_tasks_each_with_its_own_review_and_history(client, office, completed):
    client.force_login(office)
    back = reverse("tasks:overview") + "?show=review"
    response = client.post(reverse("tasks:review_bulk"), {"task": _ticks(completed), "next": back})
    assert response.status_code == 302 and response["Location"] == back
    assert messages_of(response) == ["已核实办结 3 项任务。"]
    for task in completed:
        task.refresh_from_db()
        assert task.status == Task.Status.VERIFIED
        assert Review.objects.get(task=task).reviewer == office
        record = task.history.order_by("-history_id").first()
        assert (record.history_user, record.history_change_reason) == (office, "核实办结")


def test_it_verifies_nothing_when_one_ticked_task_changed_or_is_not_completed(
    client, office, staff, completed
):
    ticks = _ticks(completed)
    report(completed[1], staff, status=Task.Status.IN_PROGRESS, percent=90)  # after the page was shown
    client.force_login(office)
    response = client.post(reverse("tasks:review_bulk"), {"task": ticks})
    [message] = messages_of(response)
    assert message.startswith(f"没有核实任何任务：{completed[1]} 在页面打开后已有变更")
    assert str(completed[1]).startswith("2019 · 9 所有民生事项")  # the task by its text
    assert not Review.objects.exists()
    assert Task.objects.filter(status=Task.Status.VERIFIED).count() == 0

    fresh = [Task.objects.get(pk=t.pk) for t in completed]
    response = client.post(reverse("tasks:review_bulk"), {"task": _ticks(fresh)})
    assert f"：{completed[1]}：只有单位报送为已完成的任务才能审核。请刷新" in messages_of(response)[-1]
    assert not Review.objects.exists()


def test_it_refuses_a_bulk_review_to_everyone_but_the_office(client, staff, leader, completed):
    for user in (staff, leader):
        client.force_login(user)
        assert client.post(reverse("tasks:review_bulk"), {"task": _ticks(completed)}).status_code == 403
    assert not Review.objects.exists()


@pytest.mark.parametrize("ticks", [[], ["abc"], ["1:x"], ["99999999999999999999:1"]])
def test_it_asks_for_a_selection_without_failing(client, office, completed, ticks):
    client.force_login(office)
    response = client.post(reverse("tasks:review_bulk"), {"task": ticks})
    assert response.status_code == 302
    assert messages_of(response) == ["请先勾选要核实的任务。"]


def test_it_offers_the_tick_boxes_to_the_office_only(client, office, leader, completed):
    client.force_login(office)
    page = client.get(reverse("tasks:overview"), {"show": "review"})
    assertContains(page, f'value="{completed[0].pk}:{completed[0].version}"')
    client.force_login(leader)
    page = client.get(reverse("tasks:overview"), {"show": "review"}).content.decode()
    assert 'name="task"' not in page and 'id="bulk"' not in page


def test_it_exports_the_list_in_chinese_for_an_english_reader(client, office, plan_2019, july_15):
    client.cookies["django_language"] = "en"
    client.force_login(office)
    response = client.get(reverse("tasks:overview_export"), {"show": "all"})
    sheet = load_workbook(io.BytesIO(response.content)).active
    assert [cell.value for cell in sheet[2]][:3] == ["序号", "指标名称", "目标任务"]
    assert sheet["A1"].value.endswith("（2019年7月15日导出）")
    assert sheet.oddFooter.center.text == "第 &P 页 共 &N 页"
    words = {cell.value for row in sheet.iter_rows(min_row=3) for cell in (row[4], row[5], row[6])}
    assert {"牵头", "未启动"} <= words
    assert not any(re.search(r"[A-Za-z]{3,}", str(word)) for word in words)  # no "Lead", "Jul", "Not started"
