"""Work that belongs to nobody (issue 10, item 6): indicators on which no
unit has a task, and the groups without members the plan names."""

from departments.models import Unit
from indicators.selectors import plan_unowned


def shown(unowned) -> tuple[list[str], dict[str, list[str]]]:
    return [i.code for i in unowned.indicators], {g.group.name: g.codes for g in unowned.groups}


def test_it_lists_the_2019_annex_indicator_and_groups_that_belong_to_nobody(
    plan_2019, django_assert_max_num_queries
):
    with django_assert_max_num_queries(6):
        indicators, groups = shown(plan_unowned(plan=plan_2019))

    assert indicators == ["5"]
    assert groups["各镇人民政府"] == groups["各街道办事处"] == ["2", "10", "31", "32", "34", "35"]
    assert "5" in groups["进驻区办事服务中心各部门"]
    assert "各区级部门" not in groups, "its members follow the kind 区级部门"


def test_it_stops_listing_a_group_once_it_has_members(plan_2019):
    Unit.objects.create(name="甲镇（演示数据）", unit_type=Unit.Type.TOWN)
    center = Unit.objects.get(name="进驻区办事服务中心各部门")
    center.members.add(Unit.objects.get(name="区市场监管局"))

    unowned = plan_unowned(plan=plan_2019)

    indicators, groups = shown(unowned)
    assert indicators == []
    assert "各镇人民政府" not in groups and "进驻区办事服务中心各部门" not in groups
    assert "各街道办事处" in groups and bool(unowned)


def test_it_lists_the_work_nobody_has_on_the_plans_page_for_the_office(client, office, leader, plan_2019):
    from django.urls import reverse
    from pytest_django.asserts import assertContains, assertNotContains

    from indicators.models import Indicator

    client.force_login(office)
    page = client.get(reverse("plans:detail", args=[2019]))
    client.force_login(leader)
    read_only = client.get(reverse("plans:detail", args=[2019]))

    five = Indicator.objects.get(plan=plan_2019, code="5")
    assertContains(page, reverse("admin:indicators_indicator_change", args=[five.pk]))
    assertContains(page, "（涉及指标 2、10、31、32、34、35）")
    assertNotContains(read_only, "无人承接的工作")
