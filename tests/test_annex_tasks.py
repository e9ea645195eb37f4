"""Tasks follow the plan: one per lead and responsible unit, groups expanded."""

import pytest

from departments.models import Unit
from indicators.annex import parse_grid, read_grid
from indicators.services import annex_import
from indicators.tests import workbooks
from tasks.models import Task

pytestmark = pytest.mark.django_db


def task_units(code: str, *, active=True) -> dict[str, str]:
    tasks = Task.objects.filter(indicator__code=code, is_active=active).select_related("unit")
    return {t.unit.name: t.role for t in tasks}


def test_it_gives_every_lead_and_responsible_unit_a_task(plan_2019):
    assert task_units("18") == {
        "区市场监管局": "lead",
        "区公安分局": "responsible",
        "区税务局": "responsible",
        "区办事服务中心": "responsible",
        "区市管局": "responsible",
        "人民银行萧山支行": "responsible",
    }
    assert Task.objects.get(indicator__code="18", unit__name="区税务局").due_date.isoformat() == "2019-04-30"


def test_it_moves_the_tasks_due_date_when_a_reimport_moves_the_deadline(plan_2019):
    titles, rows = workbooks.original_rows()
    rows[0][5] = "8月底"  # indicator 1 moves from 7月底

    report = annex_import(annex=parse_grid(read_grid(workbooks.build(rows, title_rows=titles))))

    assert report.ok
    task = Task.objects.get(indicator__code="1", unit__name="区办事服务中心")
    assert task.due_date.isoformat() == "2019-08-31"


def test_it_expands_a_group_to_its_member_units_and_keeps_the_lead_role(plan_2019):
    district_units = set(Unit.objects.filter(unit_type=Unit.Type.DISTRICT).values_list("name", flat=True))

    tasks = task_units("1")  # lead 区办事服务中心, responsible 各区级部门

    assert set(tasks) == district_units
    assert tasks["区办事服务中心"] == "lead"
    assert {role for name, role in tasks.items() if name != "区办事服务中心"} == {"responsible"}
    assert "各区级部门" not in tasks


def test_it_adds_tasks_when_an_admin_adds_a_town(plan_2019):
    assert "瓜沥镇" not in task_units("2")

    Unit.objects.create(name="瓜沥镇", unit_type=Unit.Type.TOWN)

    assert task_units("2")["瓜沥镇"] == "responsible"  # 各镇人民政府 follows the type 镇
    assert "瓜沥镇" in task_units("32")


def test_it_follows_listed_group_members_and_keeps_removed_ones_inactive(plan_2019):
    group = Unit.objects.get(name="投资项目审批各部门")
    housing = Unit.objects.get(name="区住建局")
    water = Unit.objects.get(name="区环境集团")

    group.members.add(housing, water)
    assert task_units("14") == {"区发改局": "lead", "区住建局": "responsible", "区环境集团": "responsible"}

    group.members.remove(water)
    assert "区环境集团" not in task_units("14")
    assert "区环境集团" in task_units("14", active=False), "its task (and reports) are kept"

    group.members.add(water)
    assert task_units("14")["区环境集团"] == "responsible"
    assert Task.objects.filter(indicator__code="14", unit=water).count() == 1


def test_it_records_who_changed_a_task_in_its_history(plan_2019):
    task = Task.objects.get(indicator__code="18", unit__name="区税务局")

    assert task.history.count() == 1
    assert task.history.first().history_type == "+"


def test_it_follows_an_indicator_edited_in_the_admin(client, admin_user, plan_2019):
    from indicators.models import Indicator

    indicator = Indicator.objects.with_units().get(code="18")
    links = list(indicator.indicator_units.order_by("pk"))
    form = {
        "plan": plan_2019.pk,
        "code": "18",
        "position": indicator.position,
        "category": indicator.category,
        "task_text": indicator.task_text,
        "deadline_label": "5月底",
        "due_date": "2019-05-31",
        "section": "",
        "indicator_units-TOTAL_FORMS": len(links),
        "indicator_units-INITIAL_FORMS": len(links),
    }
    for i, link in enumerate(links):
        form |= {
            f"indicator_units-{i}-id": link.pk,
            f"indicator_units-{i}-indicator": indicator.pk,
            f"indicator_units-{i}-unit": link.unit_id,
            f"indicator_units-{i}-role": link.role,
            f"indicator_units-{i}-position": link.position,
            f"indicator_units-{i}-DELETE": "on" if link.unit.name == "区税务局" else "",
        }
    client.force_login(admin_user)

    response = client.post(f"/admin/indicators/indicator/{indicator.pk}/change/", form)

    assert response.status_code == 302, response.context["errors"] if response.context else response
    assert "区税务局" not in task_units("18")
    assert (
        Task.objects.get(indicator__code="18", unit__name="区公安分局").due_date.isoformat() == "2019-05-31"
    )


def test_it_bootstraps_the_demo_with_each_indicators_section_of_the_work_points(db, capsys):
    from django.core.management import call_command

    from indicators.models import Indicator

    call_command("bootstrap_demo", "--year", "2026", "--no-story", "--force")
    Indicator.objects.filter(plan__year=2026, code="19").update(section="管理员改过")
    call_command("bootstrap_demo", "--year", "2026", "--no-story", "--force")

    sections = dict(Indicator.objects.filter(plan__year=2026).values_list("code", "section"))
    assert sections["18"] == "二（二）2 持续推进商事登记便利化改革"
    assert sections["17-1"] == "二（二）1 持续推进工程建设项目“1+9+X”改革"
    assert sections["19"] == "管理员改过", "what an admin entered is kept"
    assert sections["53"] == ""
    assert "sgj      staff of 区数管局" in capsys.readouterr().out
