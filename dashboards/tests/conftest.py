import datetime as dt

import pytest
import time_machine
from django.conf import settings

from indicators.annex import parse_grid, read_grid
from indicators.models import Plan
from indicators.services import annex_import
from tasks.tests.plans import AUG_15, SHANGHAI, build_small_plan, simulate_progress


@pytest.fixture
def plan(units, staff, office):
    """The small plan of tasks.tests.plans: seven tasks, their reports and reviews up to 15 August 2019."""
    return build_small_plan(staff=staff, office=office)


@pytest.fixture
def aug_15(plan):
    with time_machine.travel(AUG_15, tick=False) as traveller:
        yield traveller


@pytest.fixture
def annex_2019_in_august(transactional_db, units, staff, office):
    """The 2019 annex imported on 6 May and three months of progress behind
    it (tasks.tests.plans.simulate_progress) up to 14 August: the browser
    tests' plan, seen on 15 August."""
    annex = (settings.BASE_DIR / "fixtures" / "xiaoshan-2019-annex.xlsx").read_bytes()
    with time_machine.travel(dt.datetime(2019, 5, 6, 9, tzinfo=SHANGHAI), tick=False):
        assert annex_import(annex=parse_grid(read_grid(annex))).ok
    plan = Plan.objects.get(year=2019)
    simulate_progress(
        plan=plan,
        staff=staff,
        office=office,
        start=dt.datetime(2019, 5, 8, 9, tzinfo=SHANGHAI),
        end=dt.datetime(2019, 8, 14, 18, tzinfo=SHANGHAI),
    )
    return plan
