import pytest
import time_machine

from tasks.tests.plans import AUG_15, build_small_plan


@pytest.fixture
def plan(units, staff, office):
    """The small plan of tasks.tests.plans: seven tasks, their reports and reviews up to 15 August 2019."""
    return build_small_plan(staff=staff, office=office)


@pytest.fixture
def aug_15(plan):
    with time_machine.travel(AUG_15, tick=False) as traveller:
        yield traveller
