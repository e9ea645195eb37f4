"""The met rule: ≥ reaches the value, ≤ stays at or below it, a range holds
the value between its bounds (both included); the gap ranks the overview's
"furthest from their goal"."""

from decimal import Decimal as D

import pytest

from indicators.models import Target


def target(direction, value=None, low=None, high=None, unit="%"):
    return Target(name="x", direction=direction, value=value, value_min=low, value_max=high, unit=unit)


@pytest.mark.parametrize(
    ("goal", "reported", "met"),
    [
        (target(">=", D(90)), D(90), True),
        (target(">=", D(90)), D("89.99"), False),
        (target(">=", D(90)), D(100), True),
        (target("<=", D(4), unit="个工作日"), D(4), True),
        (target("<=", D(4), unit="个工作日"), D("4.5"), False),
        (target("<=", D(4), unit="个工作日"), D(0), True),
        (target("range", low=D(5), high=D(10)), D(5), True),
        (target("range", low=D(5), high=D(10)), D(10), True),
        (target("range", low=D(5), high=D(10)), D("4.9"), False),
        (target("range", low=D(5), high=D(10)), D(11), False),
        (target(">=", D(90)), None, None),
    ],
)
def test_it_tells_whether_a_value_meets_the_target(goal, reported, met):
    assert goal.is_met(reported) is met


def test_it_measures_the_gap_as_a_share_of_the_goal():
    assert target(">=", D(90)).gap(D(45)) == 0.5
    assert target(">=", D(90)).gap(D(95)) == 0
    assert target("<=", D(4), unit="天").gap(D(6)) == 0.5
    assert target("range", low=D(5), high=D(10)).gap(D(12)) == 0.2
    assert target("range", low=D(5), high=D(10)).gap(D(7)) == 0
    assert target("<=", D(0), unit="次").gap(D(2)) == 2
    assert target(">=", D(90)).gap(None) is None
