"""Latency of the portal at province scale, against one gunicorn server with
production settings, beside a hello-world Django view (the floor) and the
Django admin's list of the same tasks (the peer).

    python bench/province.py [--generate] [--rounds 60] [--database-url URL]

With --generate (or when the database is empty) it first runs
bench/province_data.py. Then it collects the static files (hashed names, as
in production), starts gunicorn (2 sync workers, DJANGO_DEBUG=0,
DJANGO_STATIC_MANIFEST=1, ALLOWED_HOSTS=127.0.0.1, SSL redirect off for
plain http on 127.0.0.1) with bench/settings.py, which only adds the
/bench/hello/ view to the site's URLs, logs two users in (the reform office,
and staff of the unit with most tasks in this year's plan) and requests each
page in turn, `--rounds` times after 5 rounds of warm-up, one request at a
time, each on a new connection. It prints a table of median and p95 latency
with the ratio of each to the floor's; the monthly report export and the
5,000-row annex import (bench/annex_import.py, a dry run) are timed too.

Only 127.0.0.1 is contacted; every loop is bounded."""

import argparse
import http.client
import math
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(BASE_DIR))
PYTHON = sys.executable
DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/xsreform_province"
HOST = "127.0.0.1"


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", default=os.environ.get("BENCH_DATABASE_URL", DEFAULT_URL))
    parser.add_argument("--generate", action="store_true", help="(re)generate the data first")
    parser.add_argument("--rounds", type=int, default=60, help="measured requests per page")
    parser.add_argument("--export-rounds", type=int, default=8)
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--skip-import", action="store_true", help="leave out the annex import")
    parser.add_argument(
        "--runs", type=int, default=1, help="measure the pages this many times (fresh server each)"
    )
    return parser.parse_args()


def server_environment(url: str, workdir: Path) -> dict:
    env = dict(os.environ)
    env.update(
        DJANGO_SETTINGS_MODULE="bench.settings",
        DJANGO_DEBUG="0",
        DJANGO_SECRET_KEY="bench-only-secret-key-0123456789-abcdefghijklmnopqrstuvwxyz",
        CHANNEL_SECRET_KEY="YmVuY2gtb25seS1jaGFubmVsLWtleS0wMTIzNDU2Nzg=",  # production requires one
        DATABASE_URL=url,
        DJANGO_STATIC_MANIFEST="1",
        STATIC_ROOT=str(workdir / "static"),
        XSREFORM_VAR_DIR=str(workdir / "var"),
        DJANGO_SECURE_SSL_REDIRECT="0",
        ALLOWED_HOSTS=HOST,
        LOG_LEVEL="WARNING",
        PYTHONPATH=str(BASE_DIR),
    )
    env.pop("REDIS_URL", None)
    return env


def get(port: int, path: str, cookie: str = "") -> tuple[int, bytes, float]:
    started = time.perf_counter()
    connection = http.client.HTTPConnection(HOST, port, timeout=60)
    try:
        connection.request("GET", path, headers={"Cookie": cookie} if cookie else {})
        response = connection.getresponse()
        body = response.read()
    finally:
        connection.close()
    return response.status, body, (time.perf_counter() - started) * 1000


def wait_until_up(port: int, server: subprocess.Popen) -> None:
    for _ in range(100):  # 20 s at most
        if server.poll() is not None:
            raise SystemExit("gunicorn exited; see its output above")
        try:
            if get(port, "/bench/hello/")[0] == 200:
                return
        except OSError:
            pass
        time.sleep(0.2)
    raise SystemExit("gunicorn did not answer within 20 s")


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[max(0, math.ceil(share * len(ordered)) - 1)]


def main():
    args = parse_args()
    workdir = Path(tempfile.mkdtemp(prefix="xsreform-bench-"))
    env = server_environment(args.database_url, workdir)
    os.environ.update(env)

    generation = None
    if args.generate:
        started = time.perf_counter()
        subprocess.run(
            [PYTHON, str(BASE_DIR / "bench" / "province_data.py"), "--database-url", args.database_url],
            check=True,
        )
        generation = time.perf_counter() - started

    import django

    django.setup()
    from django.conf import settings
    from django.contrib.auth import get_user_model
    from django.db import connection
    from django.db.models import Count
    from django.test import Client
    from django.urls import reverse
    from django.utils import timezone

    from indicators.models import Indicator, Plan
    from tasks.models import ProgressReport, Task

    if not Plan.objects.exists():
        raise SystemExit("no data: run with --generate (or bench/province_data.py) first")
    plan = Plan.objects.order_by("-year").first()
    sizes = {
        "plans": Plan.objects.count(),
        "indicators": Indicator.objects.count(),
        "tasks": Task.objects.count(),
        "progress reports": ProgressReport.objects.count(),
        "task history rows": Task.history.model.objects.count(),
        "tasks in the plan measured": Task.objects.filter(indicator__plan=plan).count(),
    }
    User = get_user_model()
    office, staff = User.objects.get(username="bench-office"), User.objects.get(username="bench-staff")
    unit_id = staff.memberships.get().unit_id
    task = (
        Task.objects.filter(indicator__plan=plan, unit_id=unit_id)
        .annotate(reports=Count("progress_reports"))
        .order_by("-reports", "pk")
        .first()
    )

    def cookie_for(user) -> str:
        client = Client()
        client.force_login(user)
        return f"{settings.SESSION_COOKIE_NAME}={client.cookies[settings.SESSION_COOKIE_NAME].value}"

    as_office, as_staff = cookie_for(office), cookie_for(staff)
    last_month_end = _last_month_end()
    dashboard = reverse("dashboards:overview")
    pages = [
        # (label, path, cookie, a string the page must contain)
        ("hello-world view (floor)", "/bench/hello/", as_office, "hello"),
        ("overview, cached", f"{dashboard}?plan={plan.year}", as_office, "进展总览"),
        ("overview, computed", f"{dashboard}?plan={plan.year}&n={{n}}", as_office, "进展总览"),
        (
            f"overview as of {last_month_end}, computed",
            f"{dashboard}?plan={plan.year}&as_of={last_month_end}&n={{n}}",
            as_office,
            "进展总览",
        ),
        ("empty staff page (the layout alone)", "/bench/empty/", as_staff, "navbar"),
        ("unit's task list (staff)", reverse("tasks:mine"), as_staff, "本单位任务"),
        ("task page (staff)", reverse("tasks:detail", args=[task.pk]), as_staff, task.indicator.code),
        ("notices (提醒, staff)", reverse("reminders:notices"), as_staff, "提醒"),
        (
            "consultation feedback (征求意见汇总)",
            reverse("plans:feedback", args=[plan.year]),
            as_office,
            "征求意见",
        ),
        ("completeness (报送完整率)", reverse("dashboards:completeness"), as_office, "报送完整率"),
        ("targets (目标核对)", reverse("plans:targets", args=[plan.year]), as_office, "目标"),
        (
            "Django admin task list, same plan (peer)",
            f"{reverse('admin:tasks_task_changelist')}?indicator__plan__id__exact={plan.pk}",
            as_office,
            "tasks/task/",
        ),
    ]

    def after_a_report() -> None:
        """What a progress report does to the plan's fingerprint
        (dashboards.figures.dashboard_version): a task's updated_at moves.
        Done (untimed) before each "computed" request, which also has a new
        query string: the page cache misses, and the caches kept with the
        plan's structure and past days (as they are after a real report)
        are used as they would be."""
        Task.objects.filter(pk=task.pk).update(updated_at=timezone.now())
        connection.close()

    connection.close()

    subprocess.run(
        [PYTHON, "manage.py", "collectstatic", "--noinput", "-v0"], cwd=BASE_DIR, env=env, check=True
    )
    export_path = f"{reverse('dashboards:report')}?plan={plan.year}"
    export_label = f"monthly report export ({sizes['tasks in the plan measured']} rows)"
    runs = [
        measure(args, env, pages, export_path, as_office, export_label, after_a_report)
        for _run in range(args.runs)
    ]

    annex = None
    if not args.skip_import:
        started = time.perf_counter()
        output = subprocess.run(
            [PYTHON, str(BASE_DIR / "bench" / "annex_import.py"), "--rows", "5000"],
            env={**env, "DJANGO_SETTINGS_MODULE": "xsreform.settings", "BENCH_NO_TRACEMALLOC": "1"},
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        found = re.search(r"read\+parse\+import\s+([\d.]+)", output)
        annex = (float(found.group(1)) if found else None, time.perf_counter() - started)

    for number, timings in enumerate(runs, start=1):
        if args.runs > 1:
            print(f"\nrun {number} of {args.runs}")
        report(sizes, generation, timings, annex if number == args.runs else None, args)
    if args.runs > 1:
        summary(runs)
    shutil.rmtree(workdir, ignore_errors=True)


def measure(args, env, pages, export_path, as_office, export_label, after_a_report) -> dict[str, list[float]]:
    """One run: a fresh gunicorn, 5 rounds of warm-up, `args.rounds` measured
    rounds of every page (a "computed" one, with {n} in its path, after a
    simulated report), then the monthly report export."""
    server = subprocess.Popen(
        [
            str(Path(PYTHON).parent / "gunicorn"),
            "xsreform.wsgi:application",
            "--bind",
            f"{HOST}:{args.port}",
            "--workers",
            str(args.workers),
            "--chdir",
            str(BASE_DIR),
            "--log-level",
            "warning",
        ],
        env=env,
    )
    try:
        wait_until_up(args.port, server)
        timings: dict[str, list[float]] = {label: [] for label, *_ in pages}
        counter = 0
        for round_number in range(5 + args.rounds):
            for label, path, cookie, marker in pages:
                counter += 1
                if "{n}" in path:
                    after_a_report()
                elif label == "overview, cached":
                    # The reports since its last request made a new version:
                    # this first (untimed) look computes it, the next is cached.
                    get(args.port, path, cookie)
                status, body, ms = get(args.port, path.replace("{n}", str(counter)), cookie)
                if status != 200 or marker.encode() not in body:
                    raise SystemExit(f"{label}: HTTP {status}, {len(body)} bytes, without {marker!r}")
                if round_number >= 5:
                    timings[label].append(ms)
        exports = []
        for round_number in range(2 + args.export_rounds):
            status, body, ms = get(args.port, export_path, as_office)
            if status != 200 or not body.startswith(b"PK"):
                raise SystemExit(f"monthly report: HTTP {status}")
            if round_number >= 2:
                exports.append(ms)
        timings[export_label] = exports
    finally:
        server.terminate()
        server.wait(timeout=30)
    return timings


def _last_month_end():
    import datetime as dt

    from django.utils import timezone

    return timezone.localdate().replace(day=1) - dt.timedelta(days=1)


def goal_of(label: str) -> int | None:
    """Issue 15's bound on a page's p95 ÷ the floor's p95: 3× for the layout
    alone, 10× for every page (the cached overview included); none for the
    floor itself, the downloads and the admin (the peer)."""
    if label.startswith(("hello-world", "monthly report", "Django admin")):
        return None
    return 3 if label.startswith("empty staff page") else 10


def report(sizes, generation, timings, annex, args) -> None:
    floor_label = next(iter(timings))
    floor_median = statistics.median(timings[floor_label])
    floor_p95 = percentile(timings[floor_label], 0.95)
    print()
    print("data: " + ", ".join(f"{value:,} {name}" for name, value in sizes.items()))
    if generation is not None:
        print(f"data generated in {generation:.0f} s")
    print(
        f"gunicorn, {args.workers} sync workers, production settings; {args.rounds} requests per page, one at a time"
    )
    print()
    print("| request | median ms | p95 ms | median ÷ floor | p95 ÷ floor | goal (p95 ÷ floor) |")
    print("|---|---:|---:|---:|---:|---|")
    missed = []
    for label, values in timings.items():
        median, p95 = statistics.median(values), percentile(values, 0.95)
        ratio, goal = p95 / floor_p95, goal_of(label)
        verdict = "—" if goal is None else f"≤ {goal}×: {'met' if ratio <= goal else 'MISSED'}"
        if goal is not None and ratio > goal:
            missed.append(label)
        print(
            f"| {label} | {median:.1f} | {p95:.1f} | {median / floor_median:.1f}× | {ratio:.1f}× | {verdict} |"
        )
    if annex:
        seconds, _wall = annex
        print(
            f"| annex import, 5,000 rows, dry run (bench/annex_import.py) | {seconds * 1000:.0f} | — | — | — | — |"
        )
    print()
    print(f"pages over their goal: {', '.join(missed) if missed else 'none'}")


def summary(runs: list[dict[str, list[float]]]) -> None:
    """Each request's p95 ÷ the floor's p95 over the runs: min, median, max."""
    print(f"\np95 ÷ floor's p95 over {len(runs)} runs")
    print()
    print("| request | min | median | max | goal |")
    print("|---|---:|---:|---:|---|")
    for label in runs[0]:
        ratios = sorted(
            percentile(timings[label], 0.95) / percentile(next(iter(timings.values())), 0.95)
            for timings in runs
        )
        goal = goal_of(label)
        print(
            f"| {label} | {ratios[0]:.1f}× | {statistics.median(ratios):.1f}× | {ratios[-1]:.1f}× | "
            f"{'—' if goal is None else f'≤ {goal}×'} |"
        )


if __name__ == "__main__":
    main()
