"""Targets proposed by the import, remembered across re-imports, and handled
by the office in the admin (confirm, edit, delete, restore)."""

import json
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.urls import reverse

from indicators.models import Indicator, Target
from indicators.target_services import target_confirm, target_delete
from indicators.targets import targets_propose

from . import workbooks
from .test_annex_import import database_state, import_bytes

pytestmark = pytest.mark.django_db

TARGETS_URL = reverse("admin:indicators_target_changelist")


def targets(code: str, **filters):
    return Target.objects.filter(indicator__plan__year=2019, indicator__code=code, **filters)


def reimport_with_text(code: str, text: str):
    titles, rows = workbooks.original_rows()
    [row] = [row for row in rows if str(row[0]) == code]
    row[2] = text
    return import_bytes(workbooks.build(rows, title_rows=titles))


def test_it_proposes_the_targets_of_each_text_on_import(units):
    report = import_bytes(workbooks.original_bytes())

    assert report.target_count("new") == Target.objects.count() == 59
    assert set(Target.objects.values_list("status", flat=True)) == {Target.Status.PROPOSED}
    assert [(t.name, t.goal_display, t.quote) for t in targets("8")] == [
        ("事项颗粒化率", "≥ 100 %", "事项颗粒化率100%"),
        ("数据按需归集率", "≥ 100 %", "数据按需归集率100%"),
        ("共享使用率", "≥ 100 %", "共享使用率100%"),
        ("实时在线率", "≥ 90 %", "实时在线率90%"),
    ]
    assert [t.goal_display for t in targets("51")] == ["5–10 %", "≥ 100 %"]
    assert targets("32").get().implied


def test_it_prints_the_targets_of_each_indicator_in_json(units, capsys):
    call_command("import_annex", str(workbooks.FIXTURES / "xiaoshan-2019-annex.xlsx"), "--format", "json")

    data = json.loads(capsys.readouterr().out)
    by_code = {item["code"]: item["targets"] for item in data["indicators"]}
    assert by_code["23"][0] == {
        "name": "一般登记业务办理时限",
        "direction": "<=",
        "value": 4,
        "value_min": None,
        "value_max": None,
        "unit": "个工作日",
        "quote": "一般登记、抵押权登记业务办理时限分别压减至4个、2个工作日内",
        "implied": False,
    }
    assert by_code["51"][0] | {"quote": ""} == {
        "name": "“双随机、一公开”对一般企业覆盖率",
        "direction": "range",
        "value": None,
        "value_min": 5,
        "value_max": 10,
        "unit": "%",
        "quote": "",
    } | {"implied": False}
    assert by_code["6"][0]["value"] == 66.67
    assert by_code["2"] == []
    texts = {item["code"]: item["task"] for item in workbooks.expected()["indicators"]}
    for code, listed in by_code.items():
        assert listed == [p.as_dict() for p in targets_propose(texts[code])], code
    assert data["summary"]["targets_proposed"] == 59


def test_it_writes_no_targets_on_a_dry_run_but_lists_them(units):
    report = import_bytes(workbooks.original_bytes(), dry_run=True)

    assert report.target_count("new") == 59
    assert not Target.objects.exists()


def test_it_does_not_propose_a_deleted_target_again_nor_duplicate_a_confirmed_one(units, office):
    import_bytes(workbooks.original_bytes())
    target_delete(targets=targets("8", name="共享使用率"), user=office)
    target_confirm(targets=targets("8", name="实时在线率"), user=office)
    before = database_state()

    report = import_bytes(workbooks.original_bytes())

    assert database_state() == before
    assert [c.outcome for c in report.targets["8"]] == ["proposed", "proposed", "deleted", "confirmed"]
    assert report.target_count("new") == 0
    confirmed = targets("8", name="实时在线率").get()
    assert (confirmed.status, confirmed.confirmed_by) == (Target.Status.CONFIRMED, office)
    assert targets("8", name="共享使用率").get().status == Target.Status.DELETED


def test_it_proposes_what_a_changed_text_adds_and_flags_confirmed_targets_whose_quote_is_gone(units, office):
    import_bytes(workbooks.original_bytes())
    target_confirm(targets=targets("8", name="实时在线率"), user=office)

    report = reimport_with_text("8", "到年底前实现数据按需归集率100%、共享使用率100%、实时在线率95%。")

    assert [(t.name, t.goal_display, t.status) for t in targets("8").order_by("status", "position")] == [
        ("实时在线率", "≥ 90 %", "confirmed"),  # kept as the office confirmed it …
        ("数据按需归集率", "≥ 100 %", "proposed"),
        ("共享使用率", "≥ 100 %", "proposed"),
        ("实时在线率", "≥ 95 %", "proposed"),  # … beside the new reading
    ]  # and the proposal of 事项颗粒化率, gone from the text, is gone too
    assert [c.outcome for c in report.targets["8"]] == ["proposed", "proposed", "new"]
    assert list(Target.objects.needing_review()) == [targets("8", status="confirmed").get()]
    assert any("实时在线率90%" in str(w) and "请在“目标”中核对" in str(w) for w in report.warnings)


def test_it_clears_the_review_flag_when_the_quote_is_back(units, office):
    import_bytes(workbooks.original_bytes())
    target_confirm(targets=targets("8", name="实时在线率"), user=office)
    reimport_with_text("8", "实时在线率95%。")

    import_bytes(workbooks.original_bytes())

    assert not Target.objects.needing_review().exists()


def test_it_shows_the_targets_in_the_admin_preview(client, admin_user, units):
    client.force_login(admin_user)
    response = client.post(
        reverse("admin:indicators_indicator_import"),
        {"import_file": SimpleUploadedFile("annex.xlsx", workbooks.original_bytes()), "format": "0"},
    )

    page = response.content.decode()
    assert "建议目标" in page  # a count per row
    assert "从目标任务中读出的目标（59 个，其中新建议 59 个）" in page
    assert "实时在线率 ≥ 90 %" in page
    assert "一般登记、抵押权登记业务办理时限分别压减至4个、2个工作日内" in page
    assert not Target.objects.exists()  # a preview writes nothing


# ---------------------------------------------------------------- the office in the admin


def test_it_lets_the_office_confirm_proposals_with_who_and_when(client, plan_2019, office):
    client.force_login(office)
    chosen = targets("50")

    response = client.post(
        TARGETS_URL,
        {"action": "confirm", "_selected_action": [t.pk for t in chosen]},
        follow=True,
    )

    assert "已确认 3 个目标。" in response.content.decode()
    for target in targets("50"):
        assert (target.status, target.confirmed_by) == (Target.Status.CONFIRMED, office)
        assert target.confirmed_at is not None
        assert target.history.first().history_user == office


def test_it_keeps_a_deleted_target_as_deleted_and_can_restore_it(client, plan_2019, office):
    client.force_login(office)
    target = targets("46").first()

    client.post(TARGETS_URL, {"action": "delete", "_selected_action": [target.pk]})
    target.refresh_from_db()
    assert target.status == Target.Status.DELETED
    client.post(TARGETS_URL, {"action": "restore", "_selected_action": [target.pk]})
    target.refresh_from_db()
    assert target.status == Target.Status.PROPOSED


def test_it_lets_the_office_edit_a_proposal_and_keeps_its_key(client, plan_2019, office):
    client.force_login(office)
    target = targets("1").get()
    key = target.key
    url = reverse("admin:indicators_target_change", args=[target.pk])

    response = client.post(
        url,
        {"name": "办事材料精简比例", "direction": ">=", "value": "12", "unit": "%"},
    )

    assert response.status_code == 302
    target.refresh_from_db()
    assert (target.name, target.value, target.key) == ("办事材料精简比例", Decimal(12), key)
    assert target.history.first().history_user == office
    import_bytes(workbooks.original_bytes())
    assert targets("1").count() == 1  # the edited reading is not proposed again


def test_it_refuses_a_range_without_bounds_and_a_duplicate_in_chinese(client, plan_2019, office):
    client.force_login(office)
    indicator = Indicator.objects.get(plan=plan_2019, code="1")
    url = reverse("admin:indicators_target_add")

    response = client.post(
        url, {"indicator": indicator.pk, "name": "x", "direction": "range", "value_min": "5"}
    )
    assert "区间目标需要填写下限和上限。" in response.content.decode()
    response = client.post(
        url,
        {"indicator": indicator.pk, "name": "办事材料精简", "direction": ">=", "value": "10", "unit": "%"},
    )
    assert "该指标已有同样的目标" in response.content.decode()
    assert targets("1").count() == 1


def test_it_lists_targets_by_plan_and_status_with_their_quotes(
    client, plan_2019, office, django_assert_max_num_queries
):
    client.force_login(office)
    target_confirm(targets=targets("50"), user=office)

    with django_assert_max_num_queries(12):
        response = client.get(
            TARGETS_URL, {"indicator__plan__id__exact": plan_2019.pk, "status__exact": "confirmed"}
        )

    page = response.content.decode()
    assert "咨询直接答复率90%以上" in page
    assert "实时在线率90%" not in page
    assert response.context["cl"].result_count == 3
    with django_assert_max_num_queries(12):  # the same for all 59
        response = client.get(TARGETS_URL)
    assert response.context["cl"].result_count == 59


def test_it_lists_one_indicators_targets_from_its_code(client, plan_2019, office):
    client.force_login(office)
    indicator = Indicator.objects.get(plan=plan_2019, code="8")

    response = client.get(TARGETS_URL)
    assert f'href="?indicator__id__exact={indicator.pk}"' in response.content.decode()
    response = client.get(TARGETS_URL, {"indicator__id__exact": indicator.pk})

    assert [t.name for t in response.context["cl"].result_list] == [
        "事项颗粒化率",
        "数据按需归集率",
        "共享使用率",
        "实时在线率",
    ]


def test_it_shows_a_confirmed_target_whose_quote_left_the_text(client, units, office):
    import_bytes(workbooks.original_bytes())
    target_confirm(targets=targets("8", name="实时在线率"), user=office)
    reimport_with_text("8", "实时在线率95%。")
    client.force_login(office)

    response = client.get(TARGETS_URL, {"review": "needed"})

    assert response.context["cl"].result_count == 1
    assert "原文已改，请核对" in response.content.decode()


def test_it_never_removes_a_target_for_good_from_the_admin(client, plan_2019, admin_user):
    client.force_login(admin_user)
    target = targets("1").get()

    response = client.post(reverse("admin:indicators_target_delete", args=[target.pk]), {"post": "yes"})

    assert response.status_code == 403
    assert Target.objects.filter(pk=target.pk).exists()


def change_form_data(response) -> dict:
    """What the admin's change form would post back unchanged, inlines included."""
    data = {}
    forms = [response.context["adminform"].form]
    for inline in response.context["inline_admin_formsets"]:
        formset = inline.formset
        forms += list(formset.forms)
        management = formset.management_form
        data |= {management.add_prefix(k): v for k, v in management.initial.items()}
    for form in forms:
        for name, bound in form.fields.items():
            value = form.initial.get(name, bound.initial)
            if value is None or value is False:
                continue
            if hasattr(value, "pk"):
                value = value.pk
            data[form.add_prefix(name)] = value
    return data


def test_it_reads_the_targets_again_when_an_admin_edits_the_text(client, plan_2019, admin_user):
    client.force_login(admin_user)
    indicator = Indicator.objects.get(plan=plan_2019, code="27")
    url = reverse("admin:indicators_indicator_change", args=[indicator.pk])
    data = change_form_data(client.get(url))

    response = client.post(url, data | {"task_text": "办理时间压减至1个工作日以内。"})

    assert response.status_code == 302, response.context["adminform"].form.errors
    assert [t.goal_display for t in targets("27")] == ["≤ 1 个工作日"]
    assert targets("27").get().history.first().history_user == admin_user
