"""Closing a year (with what is not verified) and carrying its unfinished
indicators into next year's draft, on the 2019 annex."""

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from indicators.models import Indicator, IndicatorUnit, Plan
from indicators.services import plan_adopt, plan_close
from tasks import services
from tasks.models import Review, Task
from tasks.tests.helpers import report, review, task_of


def verify_everywhere(code, staff_by_unit, office):
    for task in Task.objects.filter(indicator__plan__year=2019, indicator__code=code, is_active=True):
        user = staff_by_unit(task.unit)
        report(task, user, status=Task.Status.COMPLETED, percent=100)
        review(task, office, Review.Decision.VERIFIED)


@pytest.fixture
def anyone(django_user_model):
    """A staff member for whatever unit a task belongs to."""
    from departments.models import Membership

    made = {}

    def staff_of(unit):
        if unit.pk not in made:
            user = django_user_model.objects.create_user(f"u{unit.pk}", password="pw")
            Membership.objects.create(user=user, unit=unit)
            made[unit.pk] = user
        return made[unit.pk]

    return staff_of


def test_it_lists_what_is_not_verified_before_closing(plan_2019, office, anyone):
    verify_everywhere("1", anyone, office)

    unfinished = services.plan_unfinished(plan_2019)

    codes = [i.code for i in unfinished["indicators"]]
    assert "1" not in codes and "8" in codes and "5" in codes  # 5 has no task: nobody did it
    active = Task.objects.for_plan(plan_2019).active()
    assert len(unfinished["tasks"]) == active.exclude(status="verified").count()


def test_it_carries_the_unfinished_indicators_into_next_years_draft(plan_2019, office, anyone):
    verify_everywhere("1", anyone, office)
    plan_close(plan=plan_2019, user=office)

    draft = services.plan_carry_over(plan=plan_2019, user=office)

    assert (draft.year, draft.status) == (2020, Plan.Status.DRAFT)
    assert "2020" in draft.title and "2019" not in draft.title
    old = list(Indicator.objects.filter(plan=plan_2019).order_by("position"))
    new = list(Indicator.objects.filter(plan=draft).order_by("position"))
    assert [i.carried_from.code for i in new] == [i.code for i in old if i.code != "1"]
    top = [i for i in new if not i.parent_id]
    assert [i.code for i in top] == [str(n) for n in range(1, len(top) + 1)]
    eight = next(i for i in new if i.carried_from.code == "8")
    origin = eight.carried_from
    assert (eight.task_text, eight.category, eight.deadline_label) == (
        origin.task_text,
        origin.category,
        origin.deadline_label,
    )
    assert eight.due_date == origin.due_date.replace(year=2020)
    units = lambda i: list(  # noqa: E731
        IndicatorUnit.objects.filter(indicator=i).order_by("role", "position").values_list("unit", "role")
    )
    assert units(eight) == units(origin)
    for sub in (i for i in new if i.parent_id):
        assert sub.code.startswith(f"{sub.parent.code}-")
        assert sub.parent.carried_from == sub.carried_from.parent
    assert not Task.objects.for_plan(draft).exists()  # a draft has no tasks


def test_it_refuses_to_carry_over_an_open_plan_or_into_a_year_that_has_a_plan(plan_2019, office):
    with pytest.raises(ValidationError, match="只有已结束的计划可以结转"):
        services.plan_carry_over(plan=plan_2019, user=office)
    plan_close(plan=plan_2019, user=office)
    Plan.objects.create(year=2020, title="2020", status=Plan.Status.DRAFT)

    with pytest.raises(ValidationError, match="2020年度计划已存在"):
        services.plan_carry_over(plan=plan_2019, user=office)
    assert not Indicator.objects.filter(plan__year=2020).exists()


def test_it_shows_on_the_task_page_where_a_carried_item_came_from(plan_2019, office, staff, client):
    plan_close(plan=plan_2019, user=office)
    draft = services.plan_carry_over(plan=plan_2019, user=office)
    plan_adopt(plan=draft, user=office)
    eight = Indicator.objects.get(plan=draft, carried_from__code="8")
    task = Task.objects.get(indicator=eight, unit__name="区数管局")
    client.force_login(staff)

    page = client.get(reverse("tasks:detail", args=[task.pk])).content.decode()

    assert "由2019年第8项结转" in page
    assert reverse("tasks:detail", args=[task_of("区数管局", "8").pk]) in page


def test_it_asks_for_confirmation_listing_the_unverified_tasks_before_closing(
    plan_2019, office, client, django_assert_max_num_queries
):
    client.force_login(office)
    url = reverse("tasks:plan_close", args=[2019])

    with django_assert_max_num_queries(15):
        page = client.get(url).content.decode()
    assert 'id="unverified"' in page and "未核实办结" in page
    assert Plan.objects.get(pk=plan_2019.pk).status == Plan.Status.ACTIVE

    client.post(url, {"confirm": "2019"})
    assert Plan.objects.get(pk=plan_2019.pk).status == Plan.Status.CLOSED


def test_it_offers_the_office_closing_and_carrying_over_on_the_plan_page(plan_2019, office, staff, client):
    client.force_login(office)
    assert 'id="close"' in client.get(reverse("plans:detail", args=[2019])).content.decode()
    plan_close(plan=plan_2019, user=office)
    assert 'id="carry-over"' in client.get(reverse("plans:detail", args=[2019])).content.decode()

    response = client.post(reverse("tasks:plan_carry_over", args=[2019]))

    assert response.status_code == 302 and response.url == reverse("plans:detail", args=[2020])
    client.force_login(staff)
    assert client.post(reverse("tasks:plan_carry_over", args=[2019])).status_code == 403
    assert client.get(reverse("tasks:plan_close", args=[2019])).status_code == 403
