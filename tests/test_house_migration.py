"""A database filled by the version before the house move (issue 9) migrates
to the new layout with every row where it was, or where it moved to.

tests/data/pre-house-2019.sql.gz is a pg_dump of a database that the code of
commit 98c148b (the last before the move) migrated and filled the way a year
of use would (tests/data/fill_pre_house.py: the demo's 2019 plan, reports
with evidence, reviews, notices swept and sent, a 催办, working-day
overrides, a holiday year, sweep runs, beat's schedule). It is loaded into a
scratch database of its own; this version's `migrate` runs on it in a
subprocess, as on a server after a deploy."""

import gzip
import json
import os
import shutil
import subprocess
import sys
from contextlib import closing

import psycopg2
import pytest
from django.conf import settings
from django.db import connection
from psycopg2 import sql

from tests.test_settings import run_manage

pytestmark = pytest.mark.integration

DUMP = settings.BASE_DIR / "tests" / "data" / "pre-house-2019.sql.gz"
MOVED = [
    "reminder",
    "sweeprun",
    "workdayoverride",
    "historicalworkdayoverride",
    "holidayyear",
    "historicalholidayyear",
]
RENAMED = {f"tasks_{name}": f"reminders_{name}" for name in MOVED}


def server(dbname: str = "postgres"):
    db = connection.settings_dict
    conn = psycopg2.connect(
        dbname=dbname,
        user=db["USER"],
        password=db["PASSWORD"],
        host=db["HOST"] or "127.0.0.1",
        port=db["PORT"] or 5432,
    )
    conn.autocommit = True
    return conn


def url(dbname: str) -> str:
    db = connection.settings_dict
    auth = db["USER"] + (f":{db['PASSWORD']}" if db["PASSWORD"] else "")
    return f"postgres://{auth}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{dbname}"


@pytest.fixture
def old_database():
    """A scratch database holding the dump; dropped afterwards."""
    if not shutil.which("psql"):
        pytest.fail("psql (PostgreSQL's client) is needed to load the dump")
    name = f"{connection.settings_dict['NAME']}_pre_house"
    with closing(server()) as admin, admin.cursor() as cursor:
        cursor.execute(sql.SQL("DROP DATABASE IF EXISTS {}").format(sql.Identifier(name)))
        cursor.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    db = connection.settings_dict
    loaded = subprocess.run(
        ["psql", "-q", "-v", "ON_ERROR_STOP=1", url(name)],
        input=gzip.decompress(DUMP.read_bytes()),
        capture_output=True,
        timeout=120,
        env={**os.environ, "PGPASSWORD": db["PASSWORD"] or ""},
    )
    assert loaded.returncode == 0, loaded.stderr.decode(errors="replace")[-2000:]
    yield name
    with closing(server()) as admin, admin.cursor() as cursor:
        cursor.execute(sql.SQL("DROP DATABASE IF EXISTS {}").format(sql.Identifier(name)))


# Tables that a later migration adding a model adds rows to (its content
# types, its permissions, and the roles' share of them: departments.roles):
# the rows that were there must stay as they were.
GROWING = ("auth_permission", "django_content_type", "auth_group_permissions")


def table_columns(dbname: str) -> dict[str, list[str]]:
    """table → its columns, in order."""
    with closing(server(dbname)) as conn, conn.cursor() as cursor:
        cursor.execute(
            "SELECT table_name, column_name FROM information_schema.columns"
            " WHERE table_schema = 'public' ORDER BY table_name, ordinal_position"
        )
        columns: dict[str, list[str]] = {}
        for table, column in cursor.fetchall():
            columns.setdefault(table, []).append(column)
    return columns


def table_rows(
    dbname: str, columns: dict[str, list[str]] | None = None, up_to: dict[str, int] | None = None
) -> dict[str, tuple[int, str]]:
    """table → (rows, a digest of their content in key order). With `columns`
    (table → columns, under the table's old name), the digest covers those
    columns only: a column a later migration added (plan status…) is not
    part of what the move had to keep. For a table named in `up_to`, only
    its rows with an id up to the one given count."""
    rows = {}
    old_name = {new: old for old, new in RENAMED.items()}
    with closing(server(dbname)) as conn, conn.cursor() as cursor:
        cursor.execute("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")
        for (table,) in cursor.fetchall():
            kept = (columns or {}).get(old_name.get(table, table))
            value = (
                sql.SQL("ROW({})").format(sql.SQL(", ").join(sql.Identifier("t", c) for c in kept))
                if kept
                else sql.SQL("t")
            )
            cursor.execute(
                "SELECT a.attname FROM pg_index i JOIN pg_attribute a"
                " ON a.attrelid = i.indrelid AND a.attnum = ANY(i.indkey)"
                " WHERE i.indrelid = %s::regclass AND i.indisprimary",
                [table],
            )
            keys = [sql.Identifier(c) for (c,) in cursor.fetchall()] or [sql.SQL("1")]
            limit = (up_to or {}).get(table)
            cursor.execute(
                sql.SQL(
                    "SELECT count(*), md5(coalesce(string_agg({value}::text, '|' ORDER BY {keys}), ''))"
                    " FROM {table} t WHERE {where}"
                ).format(
                    value=value,
                    keys=sql.SQL(", ").join(keys),
                    table=sql.Identifier(table),
                    where=sql.SQL("id <= {}").format(sql.Literal(limit))
                    if limit is not None
                    else sql.SQL("true"),
                )
            )
            rows[table] = cursor.fetchone()
    return rows


def test_it_keeps_every_row_and_the_beat_schedule_through_the_move(old_database, tmp_path):
    before = table_rows(old_database)
    columns = table_columns(old_database)
    with closing(server(old_database)) as conn, conn.cursor() as cursor:
        last_ids = {}
        for table in GROWING:
            cursor.execute(sql.SQL("SELECT max(id) FROM {}").format(sql.Identifier(table)))
            last_ids[table] = cursor.fetchone()[0]
    # The dump is what we think: the whole schema, notices, sweep runs.
    assert len(before) > 30 and before["tasks_reminder"][0] > 500 and before["tasks_sweeprun"][0] == 2

    demo = {
        "DATABASE_URL": url(old_database),
        "DJANGO_DEBUG": "1",
        "REDIS_URL": "",
        "XSREFORM_VAR_DIR": str(tmp_path),
    }
    migrated = run_manage("migrate", "--noinput", **demo)
    assert migrated.returncode == 0, migrated.stderr[-3000:]
    assert "Applying reminders.0003_beat_task_names... OK" in migrated.stdout

    after = table_rows(old_database, columns, up_to=last_ids)
    for table, (count, digest) in before.items():
        if table == "django_migrations":
            continue
        new = RENAMED.get(table, table)
        assert new in after, f"{table} is gone"
        if table in (
            "django_content_type",
            "django_celery_beat_periodictask",
            "django_celery_beat_periodictasks",
        ):
            assert after[new][0] == count, table  # rows kept; their names changed (below)
        else:
            assert after[new] == (count, digest), f"{table} → {new}"
    assert not set(RENAMED) & set(after), "old tables left behind"

    with closing(server(old_database)) as conn, conn.cursor() as cursor:
        # Plans made before plans had a status run on as before (docs/year.md).
        cursor.execute("SELECT DISTINCT status FROM indicators_plan")
        assert cursor.fetchall() == [("active",)]
        cursor.execute("SELECT app_label, model FROM django_content_type WHERE model = ANY(%s)", [MOVED])
        assert sorted(cursor.fetchall()) == sorted(("reminders", m) for m in MOVED)
        cursor.execute("SELECT DISTINCT task FROM django_celery_beat_periodictask ORDER BY task")
        assert [t for (t,) in cursor.fetchall()] == [
            "reminders.jobs.reminders_retry",
            "reminders.jobs.reminders_sweep",
        ]

    # Beat's month-end entry, as the scheduler of this version reads it from
    # the migrated database, triggers the sweep by its new name.
    script = """
import json
from xsreform.celery import app
from reminders.beat import CatchUpScheduler
scheduler = CatchUpScheduler(app=app, lazy=True)
entry = next(e for e in scheduler.all_as_schedule().values() if e.kwargs == {"month_end": True})
result = app.tasks[entry.task].apply(kwargs=entry.kwargs).get()
print(json.dumps({"task": entry.task, "ran": not result["skipped"], "found": result["found"]}))
"""
    triggered = subprocess.run(
        [sys.executable, "manage.py", "shell", "-c", script],
        cwd=settings.BASE_DIR,
        env={
            **{k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "DATABASE_URL"))},
            **demo,
            "CELERY_TASK_ALWAYS_EAGER": "1",
        },
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert triggered.returncode == 0, triggered.stderr[-3000:]
    outcome = json.loads(triggered.stdout.strip().splitlines()[-1])
    assert outcome["task"] == "reminders.jobs.reminders_sweep"
    assert outcome["ran"] and "overdue" in outcome["found"]
