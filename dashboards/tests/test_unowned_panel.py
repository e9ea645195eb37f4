"""The overview lists the work that belongs to nobody, with links to fix it
in the admin, for the reform office only (issue 10, item 6)."""

import pytest
from django.core.cache import cache
from django.urls import reverse
from pytest_django.asserts import assertContains, assertNotContains

from departments.models import Unit
from indicators.models import Indicator


@pytest.fixture(autouse=True)
def empty_cache():
    cache.clear()


def test_it_lists_indicators_and_groups_nobody_has_with_admin_links(client, office, plan_2019):
    client.force_login(office)

    response = client.get(reverse("dashboards:overview"), {"plan": 2019})

    assertContains(response, "无人承接的工作")
    five = Indicator.objects.get(plan=plan_2019, code="5")
    assertContains(response, reverse("admin:indicators_indicator_change", args=[five.pk]))
    towns = Unit.objects.get(name="各镇人民政府")
    assertContains(response, reverse("admin:departments_unit_change", args=[towns.pk]))
    assertContains(response, "（涉及指标 2、10、31、32、34、35）")


def test_it_shows_leaders_no_admin_links(client, leader, plan_2019):
    client.force_login(leader)

    response = client.get(reverse("dashboards:overview"), {"plan": 2019})

    assert response.status_code == 200
    assertNotContains(response, "无人承接的工作")


def test_it_drops_a_group_once_it_has_members(client, office, plan_2019):
    client.force_login(office)
    client.get(reverse("dashboards:overview"), {"plan": 2019})  # cached
    Unit.objects.create(name="甲镇（演示数据）", unit_type=Unit.Type.TOWN)

    response = client.get(reverse("dashboards:overview"), {"plan": 2019})

    assertNotContains(response, "各镇人民政府（")
    assertNotContains(response, ">各镇人民政府</a>")
    assertContains(response, ">各街道办事处</a>")
