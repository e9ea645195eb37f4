"""`make run`'s demo tells the truth (issue 10, "done when"): this year's
plan titled with its year, a year of reports, reviews and notices written
through the services with the simulated dates, so that the on-time rate,
the trend, 截至上月底 and the overdue list look like a real year; built once
however often `make run` runs. On PostgreSQL here and on SQLite (the demo's
database) in a subprocess."""

import datetime as dt
import io
import json
import os
import subprocess
import sys
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.conf import settings
from django.core import mail
from django.core.management import call_command

from .facts import facts

pytestmark = [pytest.mark.integration]

SHANGHAI = ZoneInfo("Asia/Shanghai")
# The day the issue was tried; and a day in the middle of a year.
DEC_3 = dt.datetime(2026, 12, 3, 10, 0, tzinfo=SHANGHAI)
JUL_15 = dt.datetime(2027, 7, 15, 10, 0, tzinfo=SHANGHAI)


def assert_believable(seen: dict, *, year: int) -> None:
    now, then = seen["totals"]["now"], seen["totals"]["last_month_end"]
    assert seen["title"].startswith(f"萧山区{year}年度"), seen["title"]
    assert 0 < seen["on_time_rate"] < 100
    trend = seen["trend"]
    assert all(day.startswith(f"{year}-") for day, *_counts in trend), trend
    completed = [point[2] for point in trend]
    assert completed == sorted(completed) and completed[0] < completed[-1], trend
    assert len(set(completed)) >= 3, "rising over the months, not one jump"
    assert then["total"] > 0 and then != now, (then, now)
    assert now["returned"] >= 1 and seen["returned_reasons"], "a returned task, with its reason"
    assert now["overdue"] >= 1
    assert 0 < seen["max_days_late"] <= 365
    assert seen["evidence"] > 0 and seen["sent"] > 0
    # 目标达成 is not empty: targets confirmed, most with a value, some met
    # and some not yet.
    for targets in (seen["targets"], seen["annex_year"]["targets"]):
        assert targets["confirmed"] >= 30, targets
        assert targets["reported"] >= targets["confirmed"] // 2, targets
        assert 0 < targets["met"] < targets["reported"], targets
    assert seen["demo_towns"] and all("演示数据" in name for name in seen["demo_towns"])
    past = seen["annex_year"]
    assert past["title"].startswith("萧山区2019年度") and past["status"] == "closed"
    assert 0 < past["on_time_rate"] < 100
    assert len(past["trend_days"]) == 12 and past["trend_days"][-1] == "2019-12-31"
    # Its consultation, as the seed tells it: comments by 30 April, the rest
    # deemed no objection, adopted (its tasks created) on 6 May.
    assert len(past["answers"]) == 5 and past["deemed"] > 0
    assert all("2019-04-16" <= day <= "2019-04-30" for _kind, day, _decision in past["answers"])
    assert {decision for kind, _day, decision in past["answers"] if kind == "comment"} == {
        "adopted",
        "partly",
        "rejected",
    }
    assert past["first_task"].startswith("2019-05-06 09:00")
    # The plan page's key dates are the story's, not the day the demo was built.
    assert past["key_dates"] == [
        ["draft", "2019-04-15"],
        ["consultation", "2019-04-16"],
        ["active", "2019-05-06"],
        ["closed", "2020-01-10"],
    ]


@pytest.mark.parametrize("day", [DEC_3, JUL_15], ids=["3 December", "15 July"])
def test_it_builds_a_believable_year_once_however_often_it_runs(db, day):
    with time_machine.travel(day, tick=False):
        call_command("bootstrap_demo", "--force", stdout=io.StringIO())
        first = facts(year=day.year)
        sent = len(mail.outbox)
        out = io.StringIO()
        call_command("bootstrap_demo", "--force", stdout=out)
        again = facts(year=day.year)

    assert_believable(first, year=day.year)
    assert first["report_months"][0] <= 3 and first["report_months"][-1] == day.month
    assert again == first, "a second run stacks nothing"
    assert len(mail.outbox) == sent
    assert "built already" in out.getvalue()


def test_it_builds_the_same_believable_year_on_sqlite_in_reasonable_time(tmp_path):
    """What `make run` does on a fresh machine, on 3 December 2026."""
    demo = {"DJANGO_DEBUG": "1", "XSREFORM_VAR_DIR": str(tmp_path), "REDIS_URL": "", "EMAIL_HOST": ""}
    code = (
        "import datetime as dt, time_machine; from zoneinfo import ZoneInfo; "
        "from demo.tests.facts import main; "
        f"day = dt.datetime({DEC_3.year}, {DEC_3.month}, {DEC_3.day}, 10, tzinfo=ZoneInfo('Asia/Shanghai')); "
        "t = time_machine.travel(day, tick=False); t.start(); main(day.year)"
    )
    # run_manage's two minutes are too few on a busy machine: the demo is
    # built twice here, after the migrations.
    base = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "DATABASE_URL"))}
    result = subprocess.run(
        [sys.executable, "manage.py", "shell", "-c", code],
        cwd=settings.BASE_DIR,
        env={**base, **demo},
        capture_output=True,
        text=True,
        timeout=600,
    )

    assert result.returncode == 0, result.stderr[-3000:]
    seen = json.loads(result.stdout.strip().splitlines()[-1])
    print(f"bootstrap_demo on SQLite: {seen['seconds']} s, {seen['cpu_seconds']} s of CPU")
    assert_believable(seen, year=2026)
    # CPU, not wall time, and with room: the machine running the suite may
    # be busy. Measured on two cores shared by four builds: 26 to 53 s of CPU
    # (95 to 190 s of wall time); a regression that doubles it fails here.
    assert seen["cpu_seconds"] < 120
    assert list((tmp_path / "mail").glob("*.log")), "the notices went to var/mail"
