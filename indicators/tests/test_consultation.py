"""The consultation (征求意见) on a draft plan: opening it, the units' answers
until the deadline, the office's decisions, adoption, and "逾期不反馈视作无意见"
recorded once per unit."""

import datetime as dt
import io
from zoneinfo import ZoneInfo

import openpyxl
import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from conftest import ANNEX_XLSX
from departments.models import Membership, Unit
from indicators import consultations, selectors
from indicators.annex import parse_grid, read_grid
from indicators.models import Consultation, ConsultationAnswer, Indicator, Plan
from indicators.services import annex_import, plan_adopt, plan_consultation_open

SHANGHAI = ZoneInfo("Asia/Shanghai")
Kind = ConsultationAnswer.Kind
APRIL_28 = dt.datetime(2019, 4, 28, 9, 0, tzinfo=SHANGHAI)
DEADLINE = dt.date(2019, 4, 30)
NOTICE = "各有关单位：现公开征求意见，请你们于4月30日前反馈。逾期不反馈视作无意见。"


@pytest.fixture
def draft_2019(units):
    assert annex_import(annex=parse_grid(read_grid(ANNEX_XLSX.read_bytes())), draft=True).ok
    return Plan.objects.get(year=2019)


@pytest.fixture
def consultation(draft_2019, office):
    with time_machine.travel(APRIL_28, tick=False):
        return plan_consultation_open(plan=draft_2019, user=office, deadline=DEADLINE, message=NOTICE)


def unit(name):
    return Unit.objects.get(name=name)


def item(plan, code):
    return Indicator.objects.get(plan=plan, code=code)


def answer(consultation, unit_name, code=None, *, user=None, kind=Kind.NO_OBJECTION, at=APRIL_28, **extra):
    with time_machine.travel(at, tick=False):
        return consultations.consultation_answer(
            consultation=consultation,
            unit=unit(unit_name),
            user=user,
            indicator=item(consultation.plan, code) if code else None,
            kind=kind,
            **extra,
        )


def test_it_opens_a_consultation_on_a_draft_recording_who(consultation, office):
    plan = consultation.plan
    plan.refresh_from_db()
    assert plan.status == Plan.Status.CONSULTATION
    assert (consultation.deadline, consultation.opened_by, consultation.message) == (DEADLINE, office, NOTICE)
    last = plan.history.order_by("-history_id").first()
    assert (last.status, last.history_user) == (Plan.Status.CONSULTATION, office)


@pytest.mark.parametrize("status", [Plan.Status.CONSULTATION, Plan.Status.ACTIVE, Plan.Status.CLOSED])
def test_it_refuses_to_consult_on_a_plan_that_is_not_a_draft(draft_2019, office, status):
    Plan.objects.filter(pk=draft_2019.pk).update(status=status)
    draft_2019.refresh_from_db()

    with time_machine.travel(APRIL_28, tick=False), pytest.raises(ValidationError) as error:
        plan_consultation_open(plan=draft_2019, user=office, deadline=DEADLINE, message=NOTICE)

    assert error.value.messages == [f"只有草案可以征求意见：2019年度计划当前为“{status.label}”。"]
    assert not Consultation.objects.exists()


def test_it_refuses_a_deadline_in_the_past(draft_2019, office):
    with time_machine.travel(APRIL_28, tick=False), pytest.raises(ValidationError, match="不能早于今天"):
        plan_consultation_open(plan=draft_2019, user=office, deadline=dt.date(2019, 4, 1), message=NOTICE)
    assert Plan.objects.get(pk=draft_2019.pk).status == Plan.Status.DRAFT


def test_it_asks_every_unit_the_draft_names_groups_expanded(consultation):
    asked = selectors.plan_unit_ids(consultation.plan)

    assert unit("区数管局").pk in asked
    members = unit("各区级部门").member_units()
    assert members.exists() and set(members.values_list("pk", flat=True)) <= asked
    assert not any(Unit.objects.get(pk=pk).is_group for pk in asked)
    # The same units as get tasks once the plan is adopted.
    assert asked == {unit_id for _indicator, unit_id in selectors.plan_expected_units(consultation.plan)}


def test_it_takes_an_answer_per_item_and_lets_the_unit_change_it_until_the_deadline(consultation, staff):
    first = answer(consultation, "区数管局", "8", user=staff, kind=Kind.COMMENT, text="建议延至11月底")
    changed = answer(
        consultation,
        "区数管局",
        "8",
        user=staff,
        kind=Kind.COMMENT,
        text="建议延至12月底",
        proposed_due_date=dt.date(2019, 12, 31),
        at=dt.datetime(2019, 4, 30, 23, 0, tzinfo=SHANGHAI),
    )

    assert changed.pk == first.pk
    stored = ConsultationAnswer.objects.get()
    assert (stored.text, stored.proposed_due_date, stored.answered_by) == (
        "建议延至12月底",
        DEADLINE.replace(month=12, day=31),
        staff,
    )
    assert stored.history.count() == 2
    with pytest.raises(ValidationError, match="征求意见已于2019年4月30日截止"):
        answer(consultation, "区数管局", "8", at=dt.datetime(2019, 5, 1, 0, 5, tzinfo=SHANGHAI))


def test_it_takes_one_answer_for_the_whole_plan(consultation, staff):
    answer(consultation, "区数管局", user=staff)
    answer(consultation, "区数管局", user=staff, kind=Kind.COMMENT, text="整体意见")

    (stored,) = ConsultationAnswer.objects.all()
    assert (stored.indicator, stored.kind, stored.text) == (None, Kind.COMMENT, "整体意见")


def test_it_refuses_a_comment_without_text_and_an_item_the_unit_is_not_on(consultation, staff):
    with pytest.raises(ValidationError, match="请填写意见内容"):
        answer(consultation, "区数管局", "8", kind=Kind.COMMENT, text="  ")
    not_mine = next(
        i
        for i in Indicator.objects.filter(plan=consultation.plan)
        if i.pk not in selectors.consultation_unit_items(consultation.plan, unit("区数管局"))
    )
    with pytest.raises(ValidationError, match="只能对本单位承担的指标逐项反馈"):
        answer(consultation, "区数管局", not_mine.code)
    assert not ConsultationAnswer.objects.exists()


def test_it_records_the_units_that_did_not_answer_once_each(consultation, staff):
    answer(consultation, "区数管局", "8", user=staff)
    after = dt.datetime(2019, 5, 6, 8, 30, tzinfo=SHANGHAI)

    first = consultations.consultation_record_deemed(consultation=consultation, now=after)
    again = consultations.consultation_record_deemed(consultation=consultation, now=after)

    asked = selectors.plan_unit_ids(consultation.plan)
    assert (first, again) == (len(asked) - 1, 0)
    deemed = ConsultationAnswer.objects.filter(kind=Kind.DEEMED)
    assert deemed.count() == len(asked) - 1
    assert not deemed.filter(unit=unit("区数管局")).exists()
    assert set(deemed.values_list("indicator", flat=True)) == {None}
    assert Kind.DEEMED.label == "逾期未反馈，视作无意见"


def test_it_lets_the_office_decide_on_a_comment_with_a_reply(consultation, staff, office):
    comment = answer(consultation, "区数管局", "8", user=staff, kind=Kind.COMMENT, text="建议延期")

    with pytest.raises(ValidationError, match="请填写答复"):
        consultations.consultation_decide(answer=comment, user=office, decision="rejected")
    consultations.consultation_decide(answer=comment, user=office, decision="partly", reply="延至11月底")

    comment.refresh_from_db()
    assert (comment.decision, comment.reply, comment.decided_by) == ("partly", "延至11月底", office)


def test_it_adopts_after_the_consultation_closing_it_and_recording_the_silent_units(
    consultation, office, staff
):
    answer(consultation, "区数管局", "8", user=staff)

    with time_machine.travel(dt.datetime(2019, 5, 8, 10, 0, tzinfo=SHANGHAI), tick=False):
        plan_adopt(plan=consultation.plan, user=office)

    consultation.refresh_from_db()
    assert consultation.closed_at is not None
    assert (
        ConsultationAnswer.objects.filter(kind=Kind.DEEMED).count()
        == len(selectors.plan_unit_ids(consultation.plan)) - 1
    )
    assert item(consultation.plan, "8").tasks.filter(unit=unit("区数管局")).exists()


# The pages


def test_it_shows_the_unit_its_items_and_takes_its_answer(consultation, staff, client):
    client.force_login(staff)
    with time_machine.travel(APRIL_28, tick=False):
        page = client.get(reverse("plans:consultation", args=[2019])).content.decode()
        eight = item(consultation.plan, "8")
        posted = client.post(
            reverse("plans:answer", args=[2019]),
            {"unit": unit("区数管局").pk, "indicator": eight.pk, "kind": "comment", "text": "建议调整"},
        )

    assert NOTICE in page
    assert f'id="item-{eight.pk}"' in page
    assert 'id="whole-plan"' in page
    assert posted.status_code == 302
    assert ConsultationAnswer.objects.get().text == "建议调整"


def test_it_shows_the_page_read_only_after_the_deadline(consultation, staff, client):
    client.force_login(staff)
    with time_machine.travel(dt.datetime(2019, 5, 6, 9, 0, tzinfo=SHANGHAI), tick=False):
        page = client.get(reverse("plans:consultation", args=[2019])).content.decode()

    assert 'id="closed"' in page
    assert "answer-form" not in page


def test_it_keeps_units_not_asked_out(consultation, client, django_user_model):
    outsider = django_user_model.objects.create_user("outsider", password="pw")
    group = Unit.objects.groups().first()
    Membership.objects.create(user=outsider, unit=Unit.objects.create(name="无关单位", kind=Unit.Kind.UNIT))
    client.force_login(outsider)

    assert group  # the directory has groups; the outsider's unit is in none of them
    assert client.get(reverse("plans:consultation", args=[2019])).status_code == 404
    assert client.get(reverse("plans:feedback", args=[2019])).status_code == 403


def test_it_lets_only_the_office_open_a_consultation(draft_2019, staff, office, client):
    client.force_login(staff)
    data = {"deadline": "2099-04-30", "message": NOTICE}
    assert client.post(reverse("plans:consultation_open", args=[2019]), data).status_code == 403
    client.force_login(office)
    assert client.post(reverse("plans:consultation_open", args=[2019]), data).status_code == 302
    assert Plan.objects.get(pk=draft_2019.pk).status == Plan.Status.CONSULTATION


def test_it_shows_the_office_the_feedback_with_counts_and_exports_it(
    consultation, staff, office, client, django_assert_max_num_queries
):
    answer(consultation, "区数管局", "8", user=staff, kind=Kind.COMMENT, text="=SUM(A1)建议")
    answer(consultation, "区数管局", "1", user=staff)
    client.force_login(office)

    with django_assert_max_num_queries(25):
        page = client.get(reverse("plans:feedback", args=[2019]), {"kind": "comment"}).content.decode()
    export = client.get(reverse("plans:feedback", args=[2019]), {"format": "xlsx"})
    bad = client.get(reverse("plans:feedback", args=[2019]), {"kind": "\x00nope"})

    assert "=SUM(A1)建议" in page
    assert 'data-kind="comment">1<' in page and 'data-kind="none">1<' in page
    assert bad.status_code == 200
    book = openpyxl.load_workbook(io.BytesIO(export.content))
    rows = list(book.active.iter_rows(values_only=True))
    assert rows[1][:4] == ("序号", "目标任务", "单位", "意见")
    answered = {(r[0], r[2], r[3], r[4] or "") for r in rows[2:] if r[3] != "未反馈"}
    assert answered == {("1", "区数管局", "无意见", ""), ("8", "区数管局", "修改意见", "=SUM(A1)建议")}
    assert book.active.cell(row=4, column=5).data_type == "s"
    assert sum(1 for r in rows[2:] if r[3] == "未反馈") == len(selectors.plan_unit_ids(consultation.plan)) - 1


def test_it_reads_the_feedback_in_the_same_queries_for_2_and_12_answers(
    consultation, staff, office, client, django_assert_max_num_queries
):
    """The table reads only the columns it shows (selectors.ANSWER_COLUMNS):
    one it forgot would be a query per answer, on the page or in the workbook."""
    client.force_login(office)
    pairs = iter(sorted(selectors.plan_expected_units(consultation.plan)))
    counts = []
    for size in (2, 12):
        while ConsultationAnswer.objects.filter(consultation=consultation).count() < size:
            indicator_id, unit_id = next(pairs)
            answered = ConsultationAnswer.objects.create(
                consultation=consultation,
                unit_id=unit_id,
                indicator_id=indicator_id,
                kind=Kind.COMMENT,
                text="建议调整",
                proposed_units="区数管局",
                answered_by=staff,
            )
            consultations.consultation_decide(
                answer=answered, user=office, decision=ConsultationAnswer.Decision.ADOPTED, reply="采纳"
            )
        with CaptureQueriesContext(connection) as page:
            response = client.get(reverse("plans:feedback", args=[2019]))
        with CaptureQueriesContext(connection) as export:
            workbook = client.get(reverse("plans:feedback", args=[2019]), {"format": "xlsx"})
        assert response.content.decode().count('data-kind="comment"') == size + 1  # and its filter badge
        assert len(list(openpyxl.load_workbook(io.BytesIO(workbook.content)).active.iter_rows())) > size
        counts.append((len(page), len(export)))
    assert counts[0] == counts[1], counts


def test_it_lets_the_office_decide_on_the_feedback_page(consultation, staff, office, client):
    comment = answer(consultation, "区数管局", "8", user=staff, kind=Kind.COMMENT, text="建议延期")
    client.force_login(office)

    client.post(reverse("plans:decide", args=[2019, comment.pk]), {"decision": "adopted", "reply": ""})
    client.force_login(staff)
    with time_machine.travel(APRIL_28, tick=False):
        page = client.get(reverse("plans:consultation", args=[2019])).content.decode()

    assert ConsultationAnswer.objects.get().decision == "adopted"
    assert "采纳" in page


def test_it_shows_each_answer_with_its_decision_form_and_escapes_its_text(
    consultation, staff, office, client
):
    comment = answer(
        consultation,
        "区数管局",
        "8",
        user=staff,
        kind=Kind.COMMENT,
        text="<script>alert(1)</script>",
        proposed_due_date=dt.date(2019, 9, 30),
        proposed_units="<b>区发改局</b>",
    )
    ConsultationAnswer.objects.filter(pk=comment.pk).update(
        decision="partly", reply='"</textarea>部分采纳', decided_by=office, decided_at=APRIL_28
    )
    plain = answer(consultation, "区数管局", None, user=staff)
    client.force_login(office)

    page = client.get(reverse("plans:feedback", args=[2019]), {"kind": ""}).content.decode()

    row = page[page.index(f'<tr id="answer-{comment.pk}" data-kind="comment">') :]
    row = row[: row.index("</tr>")]
    assert "<script>" not in row and "&lt;script&gt;alert(1)&lt;/script&gt;" in row
    assert "建议截止日期：2019年9月30日" in row and "建议调整责任单位：&lt;b&gt;区发改局&lt;/b&gt;" in row
    assert "<strong>部分采纳</strong>：" in row and "&quot;&lt;/textarea&gt;部分采纳</textarea>" in row
    assert '<option value="partly" selected>' in row
    assert f'action="{reverse("plans:decide", args=[2019, comment.pk])}"' in row
    assert row.count('name="csrfmiddlewaretoken"') == 1
    whole = page[page.index(f'<tr id="answer-{plain.pk}" data-kind="none">') :]
    whole = whole[: whole.index("</tr>")]
    assert "整个计划" in whole and "<form" not in whole  # no objection: nothing to decide


def test_it_pages_the_feedback_and_returns_to_the_page_of_the_answer_decided(
    consultation, staff, office, client, monkeypatch
):
    monkeypatch.setattr("indicators.views.FEEDBACK_PAGE_SIZE", 2)
    for code in ["1", "2", "8", "9"]:
        answer(consultation, "区数管局", code, user=staff, kind=Kind.COMMENT, text=f"第{code}项意见")
    answer(consultation, "区数管局", "3", user=staff)
    last = ConsultationAnswer.objects.get(indicator__code="9")
    client.force_login(office)
    url = reverse("plans:feedback", args=[2019])

    first = client.get(url, {"kind": "comment"}).content.decode()
    second = client.get(url, {"kind": "comment", "page": 2}).content.decode()
    beyond = client.get(url, {"kind": "comment", "page": "99\x00"})
    decided = client.post(
        reverse("plans:decide", args=[2019, last.pk]), {"decision": "adopted", "reply": "", "kind": "comment"}
    )

    assert "第1项意见" in first and "第2项意见" in first and "第8项意见" not in first
    assert "第8项意见" in second and "第9项意见" in second and "第 2 / 2 页" in second
    assert beyond.status_code == 200
    assert decided.url == f"{url}?kind=comment&page=2#answer-{last.pk}"
    assert 'data-kind="comment">4<' in first and 'data-kind="none">1<' in first


def test_it_shows_the_open_consultation_on_the_units_home_page(consultation, staff, client):
    client.force_login(staff)

    page = client.get(reverse("tasks:mine")).content.decode()

    assert "consultation-open" in page
    assert reverse("plans:consultation", args=[2019]) in page


def test_it_shows_the_consultation_page_in_a_fixed_number_of_queries(
    consultation, staff, client, django_assert_max_num_queries
):
    # 28 today: the groups' members are read once per group named (twice:
    # who is asked, and the unit's items); none grows with the items.
    client.force_login(staff)
    with time_machine.travel(APRIL_28, tick=False), django_assert_max_num_queries(30):
        page = client.get(reverse("plans:consultation", args=[2019]))
    assert page.status_code == 200


def test_it_lists_the_plans_with_their_status(plan_2019, office, client, django_assert_max_num_queries):
    Plan.objects.create(year=2020, title="2020年度草案", status=Plan.Status.DRAFT)
    client.force_login(office)

    with django_assert_max_num_queries(10):
        page = client.get(reverse("plans:list")).content.decode()
    detail = client.get(reverse("plans:detail", args=[2019])).content.decode()

    assert 'data-plan-status="draft"' in page and 'data-plan-status="active"' in page
    assert 'id="plan-dates"' in detail and "执行中" in detail


def test_it_shows_the_answers_read_only_in_the_admin(consultation, staff, admin_user, client):
    answer(consultation, "区数管局", "8", user=staff, kind=Kind.COMMENT, text="建议延期")
    client.force_login(admin_user)

    listing = client.get(
        reverse("admin:indicators_consultationanswer_changelist"), {"kind__exact": "comment"}
    )

    assert listing.status_code == 200 and "区数管局" in listing.content.decode()
    assert client.get(reverse("admin:indicators_consultationanswer_add")).status_code == 403
