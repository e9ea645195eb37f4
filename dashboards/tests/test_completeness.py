"""报送完整率 on the small plan of tasks.tests.plans, counted by hand:

July (as it stood on 31 July): open (not verified) are 中心/A1, 数管/A2,
发改/A2, 数管/B1, 发改/B2; reported in July: 中心/A1 (07-10), 数管/A2
(07-20). So 中心 1/1, 数管 1/2, 发改 0/2.
August (today, 15 August): open are 中心/A1, 发改/A2, 数管/B1, 发改/B2 (数管/A2
was verified on 08-10); reported in August: 发改/A2 (08-01), 发改/B2 (08-12).
So 发改 2/2, 数管 0/1, 中心 0/1.
数管 over the year: no task before May; May 0/3, June 0/2, July 1/2, August 0/1."""

import datetime as dt
import io

from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from openpyxl import load_workbook
from pytest_django.asserts import assertContains, assertNotContains

from dashboards.completeness import completeness_month, completeness_year
from departments.models import Unit
from indicators.models import Indicator
from tasks.models import ProgressReport, Task
from tasks.tests.helpers import join
from tasks.tests.plans import BSZX, FGJ, SGJ

TODAY = dt.date(2019, 8, 15)


def rows(figures) -> list[tuple[str, int, int]]:
    return [(unit.name, unit.open, unit.reported) for unit in figures.units]


def test_it_counts_who_reported_on_every_open_task_in_a_past_month(plan, aug_15):
    july = completeness_month(plan=plan, month=dt.date(2019, 7, 1), today=TODAY)
    assert rows(july) == [(FGJ, 2, 0), (SGJ, 2, 1), (BSZX, 1, 1)]  # least complete first
    assert [unit.name for unit in july.complete] == [BSZX]
    assert [unit.rate for unit in july.units] == [0, 50, 100]
    assert (july.open, july.reported, july.rate, july.as_of) == (5, 2, 40, dt.date(2019, 7, 31))


def test_it_counts_the_month_under_way_up_to_today(plan, aug_15):
    august = completeness_month(plan=plan, month=dt.date(2019, 8, 1), today=TODAY)
    assert sorted(rows(august)) == sorted([(FGJ, 2, 2), (SGJ, 1, 0), (BSZX, 1, 0)])
    assert [unit.name for unit in august.complete] == [FGJ]
    assert august.as_of == TODAY


def test_it_gives_a_unit_its_year_month_by_month(plan, aug_15):
    [year] = completeness_year(plan=plan, units=[Unit.objects.get(name=SGJ)], today=TODAY)
    months = [(month.month, (row.open, row.reported) if row else None) for month, row in year.months]
    assert months == [
        (1, None),
        (2, None),
        (3, None),
        (4, None),
        (5, (3, 0)),
        (6, (2, 0)),
        (7, (2, 1)),
        (8, (1, 0)),
    ]


# The pages


def test_it_shows_the_office_a_month_with_its_chart_and_table(client, office, plan, aug_15):
    client.force_login(office)
    response = client.get(reverse("dashboards:completeness"), {"month": "7"})
    assert response.status_code == 200
    assert response.context["chart"]["names"] == [FGJ, SGJ, BSZX]
    assert response.context["chart"]["rates"] == [0, 50, 100]
    assertContains(response, 'id="completeness-data"')
    assertContains(response, "未全部报送：")
    assertContains(response, "1 / 3")  # units complete
    assertContains(response, "40%")
    assertContains(response, reverse("dashboards:unit_completeness", args=[Unit.objects.get(name=SGJ).pk]))


def test_it_lists_each_unit_with_its_links_and_escapes_names(client, office, plan, aug_15):
    fgj, bszx = Unit.objects.get(name=FGJ), Unit.objects.get(name=BSZX)
    Unit.objects.filter(pk=fgj.pk).update(name="<b>区发改局</b>")
    client.force_login(office)
    response = client.get(reverse("dashboards:completeness"), {"month": "7"})
    year = reverse("dashboards:unit_completeness", args=[fgj.pk]) + "?plan=2019"
    unreported = f"{reverse('tasks:overview')}?plan=2019&unit={fgj.pk}&show=unreported"
    assertContains(
        response,
        f'<tr><td><a href="{year}">&lt;b&gt;区发改局&lt;/b&gt;</a></td><td class="text-end">2</td>'
        '<td class="text-end">0</td><td class="text-end">2</td><td class="text-end">0%</td>'
        f'<td><a class="badge text-bg-danger text-decoration-none" href="{unreported}">未全部报送</a></td></tr>',
        html=True,
    )
    assertContains(
        response,
        f'<tr><td><a href="{reverse("dashboards:unit_completeness", args=[bszx.pk])}?plan=2019">{BSZX}</a></td>'
        '<td class="text-end">1</td><td class="text-end">1</td><td class="text-end">0</td>'
        '<td class="text-end">100%</td><td><span class="badge text-bg-success">全部报送</span></td></tr>',
        html=True,
    )
    assertContains(
        response, f'<a class="alert-link" href="{year}">&lt;b&gt;区发改局&lt;/b&gt;</a>（缺 2 项）'
    )
    assertNotContains(response, "<b>区发改局")


def test_it_defaults_to_this_month_and_names_a_bad_month(client, leader, plan, aug_15):
    client.force_login(leader)
    response = client.get(reverse("dashboards:completeness"))
    assert response.context["figures"].month == dt.date(2019, 8, 1)
    # The fields show it too (a browser shows a select's first option when none is selected).
    assertContains(response, '<option value="8" selected>8月</option>', html=True)
    assertContains(response, '<option value="2019" selected>', count=1)
    for bad in ("13", "9", "abc", "\x00"):  # September has not come yet
        response = client.get(reverse("dashboards:completeness"), {"month": bad, "plan": "x"})
        assert response.status_code == 200
        assert response.context["figures"].month == dt.date(2019, 8, 1)
        assertContains(response, "没有这个选项，已按默认显示。")


def test_it_exports_the_month_with_numbers_as_numbers(client, office, plan, aug_15):
    client.force_login(office)
    response = client.get(reverse("dashboards:completeness_export"), {"month": "7"})
    assert "报送完整率-2019-07.xlsx" in response["Content-Disposition"].replace(
        "%E6%8A%A5%E9%80%81%E5%AE%8C%E6%95%B4%E7%8E%87", "报送完整率"
    )
    sheet = load_workbook(io.BytesIO(response.content))["报送完整率"]
    body = [[cell.value for cell in row] for row in sheet.iter_rows(min_row=3)]
    assert body == [
        [FGJ, 2, 0, 2, 0, "否"],
        [SGJ, 2, 1, 1, 0.5, "否"],
        [BSZX, 1, 1, 0, 1, "是"],
        ["合计", 5, 2, 3, 0.4, None],
    ]
    assert (sheet["B3"].data_type, sheet["B3"].number_format) == ("n", "0")
    assert (sheet["E4"].data_type, sheet["E4"].number_format) == (
        "n",
        "0%",
    )  # 50%, a fraction shown as a percent


def test_it_shows_staff_their_own_units_year(client, staff, plan, aug_15):
    client.force_login(staff)
    assertContains(client.get(reverse("tasks:mine")), reverse("dashboards:unit_completeness_mine"))
    response = client.get(reverse("dashboards:unit_completeness_mine"))
    assertContains(response, "本单位报送情况")
    assertContains(response, "缺 1 项")
    assert response.context["chart"]["series"] == [
        {"name": SGJ, "data": [None, None, None, None, 0, 0, 50, 0]}
    ]


def test_it_hides_another_units_year_from_staff(client, staff, office, plan, aug_15):
    other = Unit.objects.get(name=FGJ)
    client.force_login(staff)
    assert client.get(reverse("dashboards:unit_completeness", args=[other.pk])).status_code == 404
    assert client.get(reverse("dashboards:completeness")).status_code == 403
    client.force_login(office)
    assert client.get(reverse("dashboards:unit_completeness", args=[other.pk])).status_code == 200
    assert client.get(reverse("dashboards:unit_completeness_mine")).status_code == 403  # no unit of its own


# Query counts


def _more_units(plan, count: int, author) -> None:
    """`count` more units, each with a task on a new indicator and a report in August."""
    indicator = Indicator.objects.create(
        plan=plan,
        code=f"X{count}",
        category="丙类",
        task_text="t",
        deadline_label="12月底",
        due_date=dt.date(2019, 12, 31),
    )
    units = Unit.objects.bulk_create(Unit(name=f"测试单位{count}-{n}") for n in range(count))
    tasks = Task.objects.bulk_create(
        Task(indicator=indicator, unit=unit, role="responsible", due_date=indicator.due_date)
        for unit in units
    )
    ProgressReport.objects.bulk_create(
        ProgressReport(task=task, author=author, status="in_progress", percent=10, progress="p")
        for task in tasks
    )


def test_it_runs_the_same_queries_for_5_and_50_more_units(
    client, office, staff, plan, aug_15, django_assert_max_num_queries
):
    client.force_login(office)
    counts = []
    for size in (5, 50):
        _more_units(plan, size, staff)
        with django_assert_max_num_queries(12), CaptureQueriesContext(connection) as queries:
            response = client.get(reverse("dashboards:completeness"))
        assert len(response.context["figures"].units) == 3 + (5 if size == 5 else 55)
        counts.append(len(queries))
    assert counts[0] == counts[1], counts


def test_it_runs_the_same_queries_for_a_unit_year_of_one_and_of_three_units(
    client, staff, plan, aug_15, django_assert_max_num_queries
):
    counts = []
    for units in ([], [BSZX, FGJ]):
        for name in units:
            join(staff, name)
        user = type(staff).objects.get(pk=staff.pk)
        client.force_login(user)
        cache.clear()  # the past months' states, kept (dashboards.asof)
        with django_assert_max_num_queries(24), CaptureQueriesContext(connection) as queries:
            response = client.get(reverse("dashboards:unit_completeness_mine"))
        assert len(response.context["years"]) == 1 + len(units)
        counts.append(len(queries))
    assert counts[0] == counts[1], counts


def test_it_exports_the_month_in_chinese_for_an_english_reader(client, office, plan, aug_15):
    client.cookies["django_language"] = "en"
    client.force_login(office)
    book = load_workbook(
        io.BytesIO(client.get(reverse("dashboards:completeness_export"), {"month": "7"}).content)
    )
    assert book.sheetnames == ["报送完整率", "统计口径"]
    sheet = book["报送完整率"]
    assert [cell.value for cell in sheet[2]] == [
        "单位",
        "待报送任务",
        "已报送",
        "未报送",
        "完整率",
        "是否全部报送",
    ]
    assert sheet["A1"].value.endswith("7月报送完整率（统计至2019年7月31日）")
    assert sheet.oddHeader.center.text == sheet["A1"].value
