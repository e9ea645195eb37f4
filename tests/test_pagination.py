import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db


def test_it_keeps_the_filters_when_paging_through_all_tasks(client, office, plan_2019):
    client.force_login(office)

    page = client.get(reverse("tasks:overview"), {"show": "all", "plan": 2019}).content.decode()

    assert "第 1 / 9 页" in page  # 408 tasks, 50 a page
    assert 'href="?show=all&amp;plan=2019&amp;page=2"' in page
    second = client.get(reverse("tasks:overview"), {"show": "all", "plan": 2019, "page": 2}).content.decode()
    assert "第 2 / 9 页" in second
    assert 'href="?show=all&amp;plan=2019&amp;page=1"' in second
