import datetime as dt

import pytest
import time_machine
from django.contrib.messages import get_messages
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from pytest_django.asserts import assertContains, assertNotContains

from departments.models import Unit
from indicators.models import Indicator, Plan
from tasks.models import Evidence, ProgressReport, Review, Task

from . import files
from .helpers import JULY_15, join, report, review, task_of


def messages_of(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


def codes(response) -> list[str]:
    return [task.indicator.code for task in response.context["listing"].rows]


# The staff home: 本单位任务


def test_it_lists_every_task_of_the_unit_with_its_latest_report(client, staff, task_8, july_15):
    report(task_8, staff, percent=35)
    client.force_login(staff)
    response = client.get(reverse("tasks:mine"))
    assert response.status_code == 200
    rows = list(response.context["listing"].rows)
    assert len(rows) == Task.objects.filter(unit__name="区数管局").count()
    assert {t.unit.name for t in rows} == {"区数管局"}
    row = next(t for t in rows if t.pk == task_8.pk)
    assert (row.latest_percent, row.role) == (35, "lead")
    assertContains(response, "本单位任务")
    assertContains(response, "2019年12月31日")  # due date, the Chinese way
    assertContains(response, "2019年7月15日")  # the report date
    assertContains(response, "35%")
    assertContains(response, "牵头")


@pytest.mark.parametrize(
    ("show", "expected"),
    [
        ("due", ["1", "13", "36", "37"]),  # due 2019-07-31
        ("overdue", ["2", "10"]),  # due in June
        ("all", None),
    ],
)
def test_it_filters_the_tasks_by_tab(client, staff, plan_2019, july_15, show, expected):
    client.force_login(staff)
    response = client.get(reverse("tasks:mine"), {"show": show})
    if expected is None:
        assert len(codes(response)) == Task.objects.filter(unit__name="区数管局").count()
    else:
        assert sorted(codes(response), key=int) == expected


def test_it_lists_tasks_not_yet_reported_this_month(client, staff, task_8, july_15):
    report(task_8, staff)
    client.force_login(staff)
    response = client.get(reverse("tasks:mine"), {"show": "unreported"})
    assert "8" not in codes(response)
    assert len(codes(response)) == Task.objects.filter(unit__name="区数管局").count() - 1
    tabs = {key: count for key, _label, count in response.context["tabs"]}
    assert tabs == {
        "due": 4,
        "overdue": 2,
        "unreported": len(codes(response)),
        "all": len(codes(response)) + 1,
    }


def test_it_searches_the_task_text(client, staff, plan_2019):
    client.force_login(staff)
    response = client.get(reverse("tasks:mine"), {"q": "77种电子证照"})
    assert codes(response) == ["10"]
    assertContains(response, 'value="77种电子证照"')


def test_it_shows_staff_of_several_units_each_unit(client, staff, plan_2019):
    join(staff, "区办事服务中心")
    client.force_login(staff)
    response = client.get(reverse("tasks:mine"))
    units = {task.unit.name for task in response.context["listing"].rows}
    assert units == {"区数管局", "区办事服务中心"}
    assert response.context["several_units"]
    assertContains(response, '<th scope="col" class="text-nowrap">单位</th>', html=True)


# Whatever the tab or search: read off the rows of 全部, else queried.
@pytest.mark.parametrize("query", [{}, {"show": "all"}, {"show": "due"}, {"q": "没有这样的任务"}])
def test_it_shows_the_return_reason_on_the_unit_home(client, staff, office, task_8, query):
    report(task_8, staff, status=Task.Status.COMPLETED, percent=100)
    review(task_8, office, Review.Decision.RETURNED, "缺少电子归档率截图")
    client.force_login(staff)
    response = client.get(reverse("tasks:mine"), query)
    assert [t.pk for t in response.context["returned"]] == [task_8.pk]
    assertContains(response, "缺少电子归档率截图")
    assertContains(response, "被跑改办退回")


def test_it_shows_a_returned_task_row_with_its_reason_and_latest_report(
    client, staff, office, task_8, july_15
):
    report(task_8, staff, status=Task.Status.COMPLETED, percent=100)
    review(task_8, office, Review.Decision.RETURNED, "理由" * 70)
    task_8.refresh_from_db()
    detail = reverse("tasks:detail", args=[task_8.pk])
    client.force_login(staff)

    page = client.get(reverse("tasks:mine"), {"q": task_8.indicator.task_text[:12]}).content.decode()
    row = page[page.rindex("<tr>", 0, page.rindex(f'href="{detail}"')) :]  # the list's, not the panel's
    row = row[: row.index("</tr>")]

    reason = row.split('<div class="small text-danger mt-1">退回理由：')[1].split("</div>")[0]
    assert reason.startswith("理由理由") and len(reason) <= 120  # cut to 120 characters
    assert '<span class="badge text-bg-danger">退回</span>' in row
    assert '100%<br><span class="text-body-secondary">2019年7月15日</span>' in row
    client.force_login(office)
    page = client.get(reverse("tasks:overview"), {"plan": "2019", "status": "returned"}).content.decode()
    assert (
        f'<input class="form-check-input" type="checkbox" name="task" value="{task_8.pk}:{task_8.version}" '
        f'form="bulk" aria-label="选择 {task_8.indicator.code} {task_8.unit.name}">'
    ) in page


def test_it_tells_a_user_without_a_unit_what_to_do(client, office, plan_2019):
    client.force_login(office)
    response = client.get(reverse("tasks:mine"))
    assertContains(response, "还没有关联单位")


# The overview


def test_it_shows_the_office_every_task_with_its_unit(client, office, plan_2019, task_8, staff):
    report(task_8, staff, status=Task.Status.COMPLETED, percent=100)
    client.force_login(office)
    response = client.get(reverse("tasks:overview"))
    assert response.context["page"].paginator.count == Task.objects.count()
    response = client.get(reverse("tasks:overview"), {"show": "review"})
    assert [t.pk for t in response.context["page"].object_list] == [task_8.pk]
    response = client.get(reverse("tasks:overview"), {"q": "区办事服务中心"})
    assert {t.unit.name for t in response.context["page"].object_list} == {"区办事服务中心"}


def test_it_lets_the_office_switch_plans(client, office, plan_2019):
    Plan.objects.create(year=2018, title="2018年度计划")
    client.force_login(office)
    response = client.get(reverse("tasks:overview"), {"plan": "2018"})
    # A plan without tasks is not offered; the list stays on 2019.
    assert response.context["plan"] == plan_2019
    assert [p.year for p in response.context["plans"]] == [2019]


# The task page


def test_it_shows_the_indicator_its_units_and_the_deadline(client, staff, task_8, july_15):
    Indicator.objects.filter(pk=task_8.indicator_id).update(section="二（一）3 夯实数据基础")
    partner, partner_staff = task_of("区办事服务中心", "8"), _staff_of("区办事服务中心")
    report(partner, partner_staff, percent=60)
    report(partner, partner_staff, percent=70)  # the latest, shown
    client.force_login(staff)
    response = client.get(reverse("tasks:detail", args=[task_8.pk]))
    assertContains(response, "夯实数据基础")
    assertContains(response, "二（一）3 夯实数据基础")
    assertContains(response, "积极推进政务服务数据归集共享")
    assertContains(response, "还有 169 天")  # July 15 → December 31
    peers = list(response.context["peers"])
    assert task_8.pk not in [p.pk for p in peers]
    assert len(peers) == Task.objects.filter(indicator=task_8.indicator).count() - 1
    bszx = next(p for p in peers if p.unit.name == "区办事服务中心")
    assert (bszx.status, bszx.latest_percent) == ("in_progress", 70)
    assert bszx.latest_reported_at == partner.progress_reports.latest("created_at", "pk").created_at
    assertContains(response, "70% · 2019年7月15日")
    assertNotContains(response, "60% · ")
    assertContains(response, "报送进展")  # the form, for the unit's staff


def _staff_of(unit_name):
    from django.contrib.auth import get_user_model

    user = get_user_model().objects.create_user(username=f"u-{unit_name}")
    join(user, unit_name)
    return user


def test_it_shows_days_overdue(client, staff, plan_2019, july_15):
    client.force_login(staff)
    response = client.get(reverse("tasks:detail", args=[task_of("区数管局", "2").pk]))
    assertContains(response, "逾期 15 天")


def test_it_shows_the_history_newest_first_with_evidence_links(client, staff, office, task_8):
    with time_machine.travel(JULY_15, tick=False):
        first = report(
            task_8,
            staff,
            status="completed",
            percent=100,
            progress="第一次",
            files=[files.upload("方案.pdf", files.PDF)],
        )
    with time_machine.travel(JULY_15 + dt.timedelta(days=1), tick=False):
        review(task_8, office, "returned", "请补充截图")
    with time_machine.travel(JULY_15 + dt.timedelta(days=2), tick=False):
        report(task_8, staff, status="completed", percent=100, progress="第二次")
    client.force_login(staff)
    response = client.get(reverse("tasks:detail", args=[task_8.pk]))
    timeline = response.context["timeline"]
    assert [(e.kind, getattr(e.item, "progress", getattr(e.item, "reason", ""))) for e in timeline] == [
        ("report", "第二次"),
        ("review", "请补充截图"),
        ("report", "第一次"),
    ]
    evidence = first.evidence.get()
    assertContains(response, f'href="{reverse("tasks:evidence", args=[evidence.pk])}"')
    assertContains(response, "方案.pdf")
    assertContains(response, "2019年7月15日 09:00")  # Asia/Shanghai


def test_it_shows_who_changed_what_and_when(client, staff, office, task_8):
    with time_machine.travel(JULY_15, tick=False):
        report(task_8, staff, status="completed", percent=100)
        review(task_8, office, "verified")
    staff.first_name = "张联络"
    staff.save()
    client.force_login(office)
    response = client.get(reverse("tasks:detail", args=[task_8.pk]))
    changes = response.context["changes"]
    summary = [(c.subject, c.action, c.reason, c.fields, getattr(c.user, "username", None)) for c in changes]
    assert ("任务", "修改", "核实办结", [("状态", "已完成", "已办结")], "office") in summary
    assert ("任务", "修改", "进展报送", [("状态", "未启动", "已完成")], "sgj") in summary
    assert ("任务", "创建", "", [], None) in summary
    assert ("指标", "创建", "", [], None) in summary
    assertContains(response, "张联络")
    assertContains(response, "<del>未启动</del> → 已完成")


def test_it_shows_an_indicator_change_from_a_later_import(client, staff, task_8):
    indicator = Indicator.objects.get(pk=task_8.indicator_id)
    indicator.task_text = "改过的目标任务"
    indicator.save()
    client.force_login(staff)
    response = client.get(reverse("tasks:detail", args=[task_8.pk]))
    change = next(c for c in response.context["changes"] if c.subject == "指标" and c.action == "修改")
    assert change.fields[0][0] == "目标任务" and change.fields[0][2] == "改过的目标任务"


# Reporting through the form


def _post_report(client, task, **overrides):
    data = {"version": task.version, "status": "in_progress", "percent": 60, "progress": "推进归档"}
    data.update(overrides)
    return client.post(reverse("tasks:report", args=[task.pk]), data)


def test_it_files_a_report_through_the_form_and_says_so(client, staff, task_8):
    client.force_login(staff)
    response = _post_report(
        client, task_8, files=[files.upload("截图.png", files.PNG), files.upload("方案.pdf", files.PDF)]
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("tasks:detail", args=[task_8.pk]) + "#history"
    assert messages_of(response) == ["进展已报送。"]
    assert set(Evidence.objects.values_list("original_name", flat=True)) == {"方案.pdf", "截图.png"}


def test_it_refuses_a_renamed_program_through_the_form(client, staff, task_8):
    client.force_login(staff)
    response = _post_report(client, task_8, progress="附上材料", files=[files.upload("材料.pdf", files.EXE)])
    assert response.status_code == 200
    assertContains(response, "“材料.pdf”不是可接受的文件")
    assertContains(response, "附上材料")  # what was typed is kept
    assert "报送没有保存，请按提示修改。" in messages_of(response)
    assert not ProgressReport.objects.exists()


def test_it_refuses_an_oversize_file_through_the_form(client, staff, task_8, settings):
    settings.EVIDENCE_MAX_UPLOAD_BYTES = 1024
    client.force_login(staff)
    response = _post_report(client, task_8, files=[files.upload("大.pdf", files.PDF + b"0" * 1024)])
    assertContains(response, "“大.pdf”太大：每个文件不能超过 1.0")
    assert not ProgressReport.objects.exists()


def test_it_refuses_more_files_than_allowed(client, staff, task_8, settings):
    settings.EVIDENCE_MAX_FILES = 2
    client.force_login(staff)
    response = _post_report(client, task_8, files=[files.upload(f"{i}.png", files.PNG) for i in range(3)])
    assertContains(response, "一次最多上传 2 个文件")


@pytest.mark.parametrize("percent", ["80", "", "abc"])
def test_it_files_a_completed_report_at_100_percent_whatever_the_percent_said(client, staff, task_8, percent):
    """The page's script sets 100 when 已完成 is chosen; without script the
    server does the same rather than refusing the report."""
    client.force_login(staff)
    response = _post_report(client, task_8, status="completed", percent=percent)
    assert response.status_code == 302
    assert ProgressReport.objects.get().percent == 100


def test_it_marks_the_completed_choice_for_the_percent_script(client, staff, task_8):
    client.force_login(staff)
    response = client.get(reverse("tasks:detail", args=[task_8.pk]))
    assertContains(response, 'value="completed" data-sets-percent="100"')


def test_it_still_refuses_a_completed_report_below_100_in_the_service(staff, task_8):
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError, match="完成进度应为 100%"):
        report(task_8, staff, status="completed", percent=80)


def test_it_tells_the_second_of_two_stale_savers_and_keeps_what_they_typed(client, staff, task_8, july_15):
    colleague = _staff_of("区数管局")
    colleague.first_name = "李同事"
    colleague.save()
    stale_version = task_8.version
    report(task_8, colleague, progress="同事先报了")

    client.force_login(staff)
    response = _post_report(
        client,
        Task(pk=task_8.pk, version=stale_version),
        progress="我写了很久的进展",
        problems="我写的问题",
        files=[files.upload("方案.pdf", files.PDF)],
    )
    assert response.status_code == 409
    message = messages_of(response)[0]
    assert message.startswith(
        "保存冲突：您打开本页之后，李同事 于 2019年7月15日 09:00 更新了该任务（进展报送）"
    )
    assertContains(response, "我写了很久的进展", status_code=409)
    assertContains(response, "我写的问题", status_code=409)
    assertContains(response, "附件没有上传：请重新选择文件。", status_code=409)
    assertContains(response, "同事先报了", status_code=409)  # the history shows what won
    form = response.context["report_form"]
    assert form["version"].value() == "1"  # the next submit goes against what they now saw
    assert list(ProgressReport.objects.values_list("progress", flat=True)) == ["同事先报了"]
    assert not Evidence.objects.exists()

    again = client.post(reverse("tasks:report", args=[task_8.pk]), {**form.data.dict()})
    assert again.status_code == 302
    assert ProgressReport.objects.count() == 2


def test_it_tells_a_stale_reviewer_and_keeps_the_reason(client, staff, office, task_8):
    report(task_8, staff, status="completed", percent=100)
    task_8.refresh_from_db()
    seen = task_8.version
    review(task_8, _office_colleague(), "returned", "别人先退回了")
    client.force_login(office)
    response = client.post(
        reverse("tasks:review", args=[task_8.pk]),
        {"version": seen, "decision": "returned", "reason": "我的理由"},
    )
    assert response.status_code == 409
    assert messages_of(response)[0].startswith("保存冲突")
    assert response.context["review_form"]["reason"].value() == "我的理由"
    assert Review.objects.count() == 1


def _office_colleague():
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group

    from departments.roles import REFORM_OFFICE

    user = get_user_model().objects.create_user(username="office2")
    user.groups.add(Group.objects.get(name=REFORM_OFFICE))
    return user


def test_it_needs_a_reason_to_return(client, staff, office, task_8):
    report(task_8, staff, status="completed", percent=100)
    task_8.refresh_from_db()
    client.force_login(office)
    response = client.post(
        reverse("tasks:review", args=[task_8.pk]),
        {"version": task_8.version, "decision": "returned", "reason": ""},
    )
    assert response.status_code == 200
    assertContains(response, "退回时请填写理由。")
    assert not Review.objects.exists()


def test_it_verifies_and_returns_with_messages(client, staff, office, task_8):
    report(task_8, staff, status="completed", percent=100)
    task_8.refresh_from_db()
    client.force_login(office)
    page = client.get(reverse("tasks:detail", args=[task_8.pk]))
    assertContains(page, "核实办结")
    response = client.post(
        reverse("tasks:review", args=[task_8.pk]),
        {"version": task_8.version, "decision": "returned", "reason": "补材料"},
    )
    assert messages_of(response) == ["已退回，单位将看到退回理由。"]
    client.force_login(staff)
    page = client.get(reverse("tasks:detail", args=[task_8.pk]))
    assertContains(page, "跑改办退回：")
    assertContains(page, "补材料")


def test_it_offers_review_only_on_completed_tasks_and_report_only_to_the_unit(
    client, staff, office, leader, task_8
):
    client.force_login(office)
    page = client.get(reverse("tasks:detail", args=[task_8.pk]))
    assert page.context["review_form"] is None and page.context["report_form"] is None
    client.force_login(leader)
    page = client.get(reverse("tasks:detail", args=[task_8.pk]))
    assert page.context["review_form"] is None and page.context["report_form"] is None
    # A leader's one form on the page: writing an instruction (批示).
    assertNotContains(page, f'<form method="post" action="/tasks/{task_8.pk}')
    assertContains(page, '<form method="post" action="/tasks/', count=1)
    assertContains(page, '<form method="post" action="/tasks/instructions/new/"', count=1)


# Escaping


def test_it_starts_the_report_form_from_the_latest_report(client, staff, task_8, july_15):
    client.force_login(staff)
    form = client.get(reverse("tasks:detail", args=[task_8.pk])).context["report_form"]
    assert form.initial["percent"] == 0  # never reported
    report(task_8, staff, percent=40)
    report(task_8, staff, percent=65)
    form = client.get(reverse("tasks:detail", args=[task_8.pk])).context["report_form"]
    assert (form.initial["percent"], form.initial["version"]) == (65, 2)
    assertContains(client.get(reverse("tasks:detail", args=[task_8.pk])), 'value="65"')


def test_it_escapes_text_from_users_and_from_imports(client, staff, office, task_8):
    script = "<script>alert('x')</script>"
    indicator = task_8.indicator
    indicator.task_text, indicator.category, indicator.section = f"目标{script}", f"类{script}", script
    indicator.save()  # with its history: 变更记录 shows the old and new text
    Unit.objects.filter(name="区办事服务中心").update(name=f"单位{script}")
    staff.first_name = script
    staff.save()
    report(
        task_8,
        staff,
        status="completed",
        percent=100,
        progress=script,
        problems=script,
        next_steps=script,
        files=[files.upload(f"{script}.pdf", files.PDF)],
    )
    review(task_8, office, "returned", script)
    for user, url in [
        (staff, reverse("tasks:detail", args=[task_8.pk])),
        (staff, reverse("tasks:mine")),
        (office, reverse("tasks:overview")),
        (office, reverse("tasks:detail", args=[task_8.pk])),
    ]:
        client.force_login(user)
        response = client.get(url)
        assert b"<script>alert" not in response.content, url
        assert b"&lt;script&gt;alert(" in response.content, url
    changes = response.content.decode().split('id="changes"')[1]
    assert "→ 目标&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt;" in changes


# Query counts do not grow with the number of tasks


def _plan_with_tasks(unit: Unit, count: int, year: int, *, reports_by=None) -> Plan:
    plan = Plan.objects.create(year=year, title=f"{year}年度计划")
    indicators = Indicator.objects.bulk_create(
        Indicator(
            plan=plan,
            code=str(n),
            position=n,
            category=f"类别{n % 5}",
            task_text=f"任务{n}",
            deadline_label="12月底",
            due_date=dt.date(year, 1 + n % 12, 28),
        )
        for n in range(1, count + 1)
    )
    tasks = Task.objects.bulk_create(
        Task(
            indicator=i,
            unit=unit,
            role="lead" if n % 3 else "responsible",
            due_date=i.due_date,
            status=["not_started", "in_progress", "completed", "returned"][n % 4],
        )
        for n, i in enumerate(indicators)
    )
    if reports_by:
        ProgressReport.objects.bulk_create(
            ProgressReport(task=t, author=reports_by, status="in_progress", percent=50, progress="x")
            for t in tasks
        )
        Review.objects.bulk_create(
            Review(task=t, reviewer=reports_by, decision="returned", reason="理由")
            for t in tasks
            if t.status == "returned"
        )
    return plan


def _peers_of_one_indicator(count: int, year: int, staff) -> Task:
    """One indicator with `count` other units on it, each having reported."""
    plan = Plan.objects.create(year=year, title=f"{year}")
    indicator = Indicator.objects.create(
        plan=plan,
        code="1",
        category="c",
        task_text="t",
        deadline_label="12月底",
        due_date=dt.date(year, 12, 31),
    )
    units = Unit.objects.bulk_create(Unit(name=f"单位{year}-{n}") for n in range(count))
    tasks = Task.objects.bulk_create(
        Task(indicator=indicator, unit=u, role="responsible", due_date=indicator.due_date) for u in units
    )
    ProgressReport.objects.bulk_create(
        ProgressReport(task=t, author=staff, status="in_progress", percent=10, progress="p") for t in tasks
    )
    own = tasks[0]
    reports = ProgressReport.objects.bulk_create(
        ProgressReport(task=own, author=staff, status="in_progress", percent=n % 100, progress="p")
        for n in range(count)
    )
    Evidence.objects.bulk_create(
        Evidence(
            report=r, file=f"evidence/x{r.pk}.pdf", original_name="a.pdf", kind="pdf", size=1, sha256="0" * 64
        )
        for r in reports
    )
    join(staff, own.unit.name)
    return own


# Measured: 9 on the lists (10 on 本单位任务, with its open 批示), 15 on the
# task page (its reports and its peers' latest read together), at 54 and at
# 540 alike.
MAX_QUERIES = 11
TASK_PAGE_QUERIES = 15


@pytest.mark.parametrize(
    ("page", "user_fixture"),
    [("tasks:mine", "staff"), ("tasks:overview", "office")],
)
def test_it_runs_the_same_queries_for_54_and_540_tasks(
    client, units, request, django_assert_max_num_queries, page, user_fixture
):
    user = request.getfixturevalue(user_fixture)
    unit = Unit.objects.get(name="区数管局")
    reporter = request.getfixturevalue("staff")
    _plan_with_tasks(unit, 54, 2030, reports_by=reporter)
    _plan_with_tasks(unit, 540, 2031, reports_by=reporter)
    client.force_login(user)
    counts = {}
    for year, size in [(2030, 54), (2031, 540)]:
        with django_assert_max_num_queries(MAX_QUERIES), CaptureQueriesContext(connection) as queries:
            response = client.get(reverse(page), {"plan": year})
        assert response.status_code == 200
        rows = response.context["listing"].rows
        assert rows.count() == size
        counts[size] = len(queries)
    assert counts[54] == counts[540], counts


def test_it_runs_the_same_queries_on_a_task_page_with_54_and_540_units_and_reports(
    client, staff, django_assert_max_num_queries
):
    counts = {}
    for year, size in [(2030, 54), (2031, 540)]:
        own = _peers_of_one_indicator(size, year, staff)
        client.force_login(staff)
        with django_assert_max_num_queries(TASK_PAGE_QUERIES), CaptureQueriesContext(connection) as queries:
            response = client.get(reverse("tasks:detail", args=[own.pk]))
        assert response.status_code == 200
        assert len(response.context["timeline"]) == size + 1  # its reports, plus one made with the peers
        assert len(response.context["peers"]) == size - 1
        counts[size] = len(queries)
        staff = type(staff).objects.get(pk=staff.pk)  # drop the per-request role cache
    assert counts[54] == counts[540], counts
