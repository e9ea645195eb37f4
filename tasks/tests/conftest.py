import pytest
import time_machine

from .helpers import JULY_15, task_of


@pytest.fixture
def july_15():
    with time_machine.travel(JULY_15, tick=False) as traveller:
        yield traveller


@pytest.fixture
def task_8(plan_2019):
    """区数管局's task on indicator 8 (it leads; due 2019-12-31)."""
    return task_of("区数管局", "8")
