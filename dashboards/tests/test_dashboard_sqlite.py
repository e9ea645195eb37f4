"""The overview and the monthly report on SQLite, the database of `make run`,
where the office and the leaders land after logging in. The suite runs on
PostgreSQL, so SQLite is exercised for real in a subprocess (manage.py with
no DATABASE_URL and its own var directory), on the demo with three months of
reports, and every number must match PostgreSQL's for the same data."""

import json

import pytest
from django.core.cache import cache

from tests.test_settings import run_manage

from .dashboard_demo import build, figures

pytestmark = [pytest.mark.integration]


def test_the_demo_overview_and_report_on_sqlite_match_postgresql(db, tmp_path):
    cache.clear()  # the views cache pages; start from none
    expected = figures(build())
    demo = {"DJANGO_DEBUG": "1", "XSREFORM_VAR_DIR": str(tmp_path), "REDIS_URL": "", "EMAIL_HOST": ""}
    result = run_manage("shell", "-c", "from dashboards.tests.dashboard_demo import main; main()", **demo)

    assert result.returncode == 0, result.stderr[-3000:]
    assert (tmp_path / "db.sqlite3").exists()
    on_sqlite = json.loads(result.stdout.strip().splitlines()[-1])
    assert set(on_sqlite["status"].values()) == {200}, on_sqlite["status"]
    today, last_month_end = on_sqlite["overview"]["2019-08-15"], on_sqlite["overview"]["2019-07-31"]
    assert last_month_end["totals"]["total"] == 438  # the demo's tasks (408 and 30 of the demo towns)
    assert today["totals"]["total"] == 437  # one dropped at midnight
    assert (today["totals"]["returned"], last_month_end["totals"]["returned"]) == (3, 0)
    assert last_month_end["totals"]["overdue"] < today["totals"]["overdue"]  # the July deadlines
    assert 0 < today["totals"]["on_time"] < today["totals"]["assessable"]
    assert len(today["trend"]) == 8 and today["trend"][-1]["completed"] > 0
    assert len(next(iter(on_sqlite["report"].values()))) > 438  # the tasks sheet
    # Everything, figure by figure, cell by cell, as on PostgreSQL.
    assert on_sqlite == expected
