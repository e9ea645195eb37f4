"""牵头汇总: the lead unit reads its partners' latest reports on the
indicator, sees who has not reported this month, quotes them and attaches
their evidence to its own report; the office sees every unit's part."""

import datetime as dt

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils.html import escape
from pytest_django.asserts import assertContains, assertNotContains

from departments.models import Unit
from indicators.models import Indicator, Plan
from tasks.models import Evidence, ProgressReport, Task

from . import files
from .helpers import SHANGHAI, report, task_of

AUG_10 = dt.datetime(2019, 8, 10, 9, 0, tzinfo=SHANGHAI)


@pytest.fixture
def lead_task(task_8):
    return task_8


@pytest.fixture
def partner_task(plan_2019):
    return task_of("区办事服务中心", "8")


@pytest.fixture
def filed(partner_task, other_staff):
    """The partner reported on 10 August, with a PDF."""
    with time_machine.travel(AUG_10, tick=False):
        return report(
            partner_task,
            other_staff,
            percent=70,
            progress="已完成系统对接",
            problems="接口文档缺失",
            next_steps="九月上线",
            files=[files.upload("对接方案.pdf", files.PDF)],
        )


def _page(client, user, task):
    client.force_login(user)
    return client.get(reverse("tasks:detail", args=[task.pk]))


@time_machine.travel(dt.datetime(2019, 8, 20, 9, 0, tzinfo=SHANGHAI), tick=False)
def test_it_shows_the_lead_each_partners_latest_report_with_its_evidence(client, staff, lead_task, filed):
    response = _page(client, staff, lead_task)
    consolidation = response.context["consolidation"]
    row = next(r for r in consolidation.rows if r.task.unit.name == "区办事服务中心")
    assert row.report == filed and row.reported_this_month
    assert lead_task not in [r.task for r in consolidation.rows]  # its own part is the page itself
    for text in [
        "牵头汇总：配合单位的报送",
        "已完成系统对接",
        "接口文档缺失",
        "九月上线",
        "对接方案.pdf",
        "70%",
    ]:
        assertContains(response, text)
    assertContains(response, reverse("tasks:evidence", args=[filed.evidence.get().pk]))
    assertContains(response, reverse("tasks:detail", args=[filed.task_id]))


def test_it_escapes_what_the_partners_wrote(client, staff, lead_task, partner_task, other_staff):
    """The reports are joined in Python (tasks.templatetags.timeline), not by
    the template's autoescaping: a partner's texts stay text, in the report
    and in the 引用 the lead copies from."""
    filed = report(
        partner_task,
        other_staff,
        progress="<script>alert(1)</script>",
        problems="a & b",
        next_steps='"九月" <b>上线</b>',
        files=[files.upload("<i>方案</i>.pdf", files.PDF)],
    )
    response = _page(client, staff, lead_task)
    assertNotContains(response, "<script>alert(1)</script>")
    assertNotContains(response, "<b>上线</b>")
    assertNotContains(response, "<i>方案</i>")
    assertContains(response, "&lt;script&gt;alert(1)&lt;/script&gt;", count=2)  # the report and its 引用
    assertContains(response, "a &amp; b")
    assertContains(response, "&quot;九月&quot; &lt;b&gt;上线&lt;/b&gt;")
    assertContains(response, escape(filed.evidence.get().original_name))
    assertContains(response, f'data-quote-source="quote-text-{filed.pk}"')


@time_machine.travel(dt.datetime(2019, 9, 2, 9, 0, tzinfo=SHANGHAI), tick=False)
def test_it_lists_the_partners_that_have_not_reported_this_month(client, staff, lead_task, filed):
    response = _page(client, staff, lead_task)
    unreported = [row.task.unit.name for row in response.context["consolidation"].unreported]
    # August's report does not count in September; nobody else reported at all.
    assert "区办事服务中心" in unreported
    assert len(unreported) == Task.objects.active().filter(indicator=lead_task.indicator).count() - 1
    assertContains(response, "本月未报送：")


def test_it_shows_no_consolidation_to_a_partner(client, other_staff, partner_task, filed):
    response = _page(client, other_staff, partner_task)
    assert response.context["consolidation"] is None
    assertNotContains(response, "牵头汇总")


def test_it_shows_the_office_the_lead_and_every_partner(
    client, office, staff, lead_task, partner_task, filed
):
    report(lead_task, staff, percent=40, progress="牵头推进")
    response = _page(client, office, partner_task)
    rows = response.context["consolidation"].rows
    assert rows[0].task == lead_task and rows[0].report.progress == "牵头推进"
    assert partner_task in [r.task for r in rows]
    assert len(rows) == Task.objects.active().filter(indicator=lead_task.indicator).count()
    assertContains(response, "指标整体情况：牵头单位和配合单位")
    assertNotContains(
        response, 'class="btn btn-sm btn-outline-secondary quote-button"'
    )  # nothing to quote into


def test_it_offers_the_lead_to_quote_and_attach_its_partners_parts(client, staff, lead_task, filed):
    response = _page(client, staff, lead_task)
    evidence = filed.evidence.get()
    assertContains(response, f'data-quote-source="quote-text-{filed.pk}"')
    assertContains(response, f"【区办事服务中心】{filed.progress}")
    assertContains(response, f'value="{evidence.pk}"')
    assertContains(response, "区办事服务中心 · 对接方案.pdf")


def test_it_files_the_leads_report_with_its_partners_evidence_referenced(client, staff, lead_task, filed):
    evidence = filed.evidence.get()
    client.force_login(staff)
    response = client.post(
        reverse("tasks:report", args=[lead_task.pk]),
        {
            "version": lead_task.version,
            "status": "in_progress",
            "percent": 60,
            "progress": "【区办事服务中心】已完成系统对接",
            "referenced_evidence": [evidence.pk],
        },
        follow=True,
    )
    lead_report = ProgressReport.objects.get(task=lead_task)
    assert list(lead_report.referenced_evidence.all()) == [evidence]
    assert evidence.report == filed  # the file stays with the partner's report
    assertContains(response, "引用配合单位的佐证材料")
    assertContains(response, "区办事服务中心 · <a")


# The service's refusals


def test_it_refuses_references_from_a_partners_report(other_staff, staff, partner_task, lead_task):
    own = report(lead_task, staff, files=[files.upload("牵头.pdf", files.PDF)]).evidence.get()
    with pytest.raises(ValidationError, match="只有牵头单位的报送可以引用"):
        report(partner_task, other_staff, referenced_evidence=[own.pk])
    assert not ProgressReport.objects.filter(task=partner_task).exists()


def test_it_refuses_evidence_of_another_indicator_or_of_the_leads_own(staff, other_staff, lead_task, filed):
    elsewhere = report(task_of("区办事服务中心", "1"), other_staff, files=[files.upload("x.pdf", files.PDF)])
    own = report(lead_task, staff, files=[files.upload("牵头.pdf", files.PDF)]).evidence.get()
    for ids in ([elsewhere.evidence.get().pk], [own.pk], [10**12]):
        before = ProgressReport.objects.count()
        with pytest.raises(ValidationError, match="引用的佐证材料不属于本指标的配合单位"):
            report(lead_task, staff, referenced_evidence=ids)
        assert ProgressReport.objects.count() == before


def test_it_ends_the_leads_reading_when_its_lead_task_is_withdrawn(client, staff, lead_task, partner_task):
    Task.objects.filter(pk=lead_task.pk).update(is_active=False)
    client.force_login(staff)
    assert client.get(reverse("tasks:detail", args=[partner_task.pk])).status_code == 404


# Query counts


def _indicator_with_partners(count: int, year: int, staff) -> Task:
    """One indicator led by 区数管局 with `count` partners, each having
    reported with one evidence file."""
    plan = Plan.objects.create(year=year, title=f"{year}")
    indicator = Indicator.objects.create(
        plan=plan,
        code="1",
        category="c",
        task_text="t",
        deadline_label="12月底",
        due_date=dt.date(year, 12, 31),
    )
    lead = Task.objects.create(
        indicator=indicator, unit=Unit.objects.get(name="区数管局"), role="lead", due_date=indicator.due_date
    )
    units = Unit.objects.bulk_create(Unit(name=f"配合{year}-{n}") for n in range(count))
    partners = Task.objects.bulk_create(
        Task(indicator=indicator, unit=u, role="responsible", due_date=indicator.due_date) for u in units
    )
    reports = ProgressReport.objects.bulk_create(
        ProgressReport(task=t, author=staff, status="in_progress", percent=10, progress="p") for t in partners
    )
    Evidence.objects.bulk_create(
        Evidence(
            report=r, file=f"evidence/y{r.pk}.pdf", original_name="b.pdf", kind="pdf", size=1, sha256="0" * 64
        )
        for r in reports
    )
    return lead


@pytest.mark.parametrize("viewer", ["staff", "office"])
def test_it_runs_the_same_queries_for_5_and_100_partners(
    client, request, staff, units, django_assert_max_num_queries, viewer
):
    counts = {}
    for year, size in [(2030, 5), (2031, 100)]:
        lead = _indicator_with_partners(size, year, staff)
        user = type(staff).objects.get(pk=request.getfixturevalue(viewer).pk)  # a fresh role cache
        client.force_login(user)
        # The task page's 批示 included (one query when there are none).
        with django_assert_max_num_queries(15), CaptureQueriesContext(connection) as queries:
            response = client.get(reverse("tasks:detail", args=[lead.pk]))
        assert response.status_code == 200
        assert len(response.context["consolidation"].rows) == size + (viewer == "office")
        counts[size] = len(queries)
    assert counts[5] == counts[100], counts
