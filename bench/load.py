"""Month-end peak: many people at once against one gunicorn server with
production settings, beside the hello-world floor at the same concurrency.

    python bench/load.py [--users 10,30,60] [--seconds 60] [--database-url URL]

The data is bench/province_data.py's (default database
xsreform_province_load; generate it first, reuse it between runs). Users
are made here if missing: one staff member per unit of this year's plan
(load-staff-<unit id>, member of the unit) and a few reform-office accounts
(load-office-NN); sessions are minted in-process (force_login), as
bench/province.py does, so the login throttle is not involved.

For each concurrency N: N clients request /bench/hello/ back to back (the
floor) for half of --floor-seconds before the mix and half after it; the
mix is N virtual users running their cycle back to back, without think
time, for --seconds:

- staff (N minus the office share): home (302) → the unit's task list → a
  task of their own unit → the report form posted as a browser does (CSRF
  token from the page, multipart with a small valid PDF, the version the page
  showed) → the redirect followed to the task page;
- office (--office-share of N, at least one): home (302) → the overview (the
  first view after a change, then the same page again: cached unless a
  report came in between) → a task its unit reported completed → verify
  (one in three) or return it through the review form → the redirect.

Each staff user reports only on its own unit's first tasks, and each office
user reviews only its own slice of a pool of other tasks, put in the
completed state before each round through tasks.services (as a unit's
report would): the users never race each other, so a 409 counts as an error.
Any transport error, timeout, unexpected status or page without its marker
is an error. Afterwards every report answered with a 302 to its task page
must be in the database with its file, and every accepted review too (each
carries a marker of the run in its text).

The server runs as in bench/province.py: collectstatic (hashed names),
DJANGO_STATIC_MANIFEST=1, DJANGO_DEBUG=0, bench/settings.py (only adds
/bench/hello/), --workers sync workers (default 2, as bench/province.py),
on --port (default 8870); evidence files go to a temporary MEDIA_ROOT,
removed at the end with the server's log unless something failed. Only
127.0.0.1 is contacted; every loop is bounded by the clock or a count."""

import argparse
import datetime as dt
import itertools
import os
import random
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(BASE_DIR))

from bench.load_client import Browser, Sample, Unexpected, form_fields, tiny_pdf  # noqa: E402
from bench.province import HOST, PYTHON, percentile, server_environment, wait_until_up  # noqa: E402

DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/xsreform_province_load"
STAFF_TASKS = 3  # tasks per staff user, reported on in turn
FLOOR = "hello-world view (floor)"


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", default=os.environ.get("BENCH_DATABASE_URL", DEFAULT_URL))
    parser.add_argument("--users", default="10,30,60", help="concurrencies, comma-separated")
    parser.add_argument("--seconds", type=float, default=60, help="the mix, per concurrency")
    parser.add_argument("--floor-seconds", type=float, default=30, help="the floor, per concurrency")
    parser.add_argument("--office-share", type=float, default=0.2)
    parser.add_argument("--review-pool", type=int, default=150, help="completed tasks per round")
    parser.add_argument("--port", type=int, default=8870)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--timeout", type=float, default=60, help="per request, seconds")
    return parser.parse_args()


@dataclass
class Round:
    """One concurrency's users, their work, and what the server accepted."""

    users: int
    run: str  # the marker of this round in report and review texts
    staff: list[tuple[str, list[int]]]  # (session cookie, task ids of its unit)
    office: list[tuple[str, list[int]]]  # (session cookie, completed task ids to review)
    accepted_reports: list[str] = field(default_factory=list)
    accepted_reviews: list[str] = field(default_factory=list)
    views_without_review: list[int] = field(default_factory=list)


def staff_user(k: int, round_: Round, browser: Browser, pdf: bytes):
    """One round of a staff member's month-end report, as a closure."""
    tasks = itertools.cycle(round_.staff[k][1])
    sequence = itertools.count(1)
    rng = random.Random(k)

    def one_round() -> None:
        task_id = next(tasks)
        browser.get("home → 302 (staff)", "/", expect=302)
        browser.get("unit's task list (staff)", "/tasks/", marker="本单位任务")
        page, _ = browser.get("task page (staff)", f"/tasks/{task_id}/")
        marker = f"{round_.run}-s{k}-{next(sequence)}"
        completed = rng.random() < 0.2
        fields = form_fields(page, f"/tasks/{task_id}/report/") | {
            "status": "completed" if completed else "in_progress",
            "percent": "100" if completed else str(rng.randint(10, 95)),
            "progress": f"[{marker}] 本月按计划推进，已完成阶段性工作。",
            "problems": "",
            "next_steps": "下月继续推进。",
        }
        pdf_file = [("files", f"佐证材料-{k}.pdf", "application/pdf", pdf)]
        _, location = browser.post_form(
            "report (POST, PDF) → 302", f"/tasks/{task_id}/report/", fields, pdf_file
        )
        if not location.startswith(f"/tasks/{task_id}/"):
            raise Unexpected(f"report on {task_id} redirected to {location!r}")
        round_.accepted_reports.append(marker)
        browser.get("task page after report", location.split("#")[0], marker="进展已报送")

    return one_round


def office_user(k: int, round_: Round, browser: Browser):
    """One round of the reform office's review, as a closure: verify one
    task in three, return the others with a reason."""
    queue = list(round_.office[k][1])
    sequence = itertools.count(1)
    rng = random.Random(1000 + k)

    def one_round() -> None:
        _, overview = browser.get("home → 302 (office)", "/", expect=302)
        browser.get("overview, 1st view", overview, marker="进展总览")
        browser.get("overview, again", overview, marker="进展总览")
        if not queue:  # its share of the pool reviewed: it reads on
            round_.views_without_review.append(k)
            browser.get("task page (office)", f"/tasks/{round_.office[k][1][-1]}/")
            return
        task_id = queue.pop(0)
        page, _ = browser.get("task page (office)", f"/tasks/{task_id}/")
        marker = f"{round_.run}-o{k}-{next(sequence)}"
        verify = rng.random() < 1 / 3
        fields = form_fields(page, f"/tasks/{task_id}/review/") | {
            "decision": "verified" if verify else "returned",
            "reason": f"[{marker}] "
            + ("材料齐全，予以核实。" if verify else "佐证材料不足，请补充后重新报送。"),
        }
        _, location = browser.post_form("review (POST) → 302", f"/tasks/{task_id}/review/", fields)
        if not location.startswith(f"/tasks/{task_id}/"):
            raise Unexpected(f"review of {task_id} redirected to {location!r}")
        round_.accepted_reviews.append(marker)
        browser.get(
            "task page after review", location.split("#")[0], marker="已核实办结" if verify else "已退回"
        )

    return one_round


def run_clients(n: int, seconds: float, make_user) -> tuple[list[Sample], float, list[str]]:
    """n threads, each running its user's rounds back to back until `seconds`
    have passed (a round under way is finished). An unexpected answer ends
    that round; the user starts the next."""
    deadline = time.perf_counter() + seconds
    samples: list[list[Sample]] = [[] for _ in range(n)]
    failures: list[str] = []

    def client(k: int) -> None:
        one_round = make_user(k, samples[k])
        while time.perf_counter() < deadline:
            try:
                one_round()
            except Unexpected as error:
                failures.append(str(error))

    started = time.perf_counter()
    threads = [threading.Thread(target=client, args=(k,), daemon=True) for k in range(n)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(seconds + 300)
    if any(thread.is_alive() for thread in threads):
        raise SystemExit("clients still running 5 minutes after the deadline")
    return [s for per in samples for s in per], time.perf_counter() - started, failures


def prepare(*, plan, users: int, office_share: float, review_pool: int, cookie_for) -> Round:
    """Users for this concurrency, each staff user on its own unit's first
    open tasks, each office user on its own slice of a pool of tasks put in
    the completed state here (a report by the unit, through the service)."""
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group

    from departments.models import Membership
    from departments.roles import REFORM_OFFICE
    from tasks import services
    from tasks.models import Task

    User = get_user_model()
    n_office = max(1, round(users * office_share))
    n_staff = users - n_office
    open_tasks = list(
        Task.objects.for_plan(plan)
        .active()
        .exclude(status=Task.Status.VERIFIED)
        .select_related("indicator__plan", "unit")
        .order_by("unit_id", "pk")
    )
    by_unit: dict[int, list] = {}
    for task in open_tasks:
        by_unit.setdefault(task.unit_id, []).append(task)
    if len(by_unit) < n_staff:
        raise SystemExit(f"{n_staff} staff users need as many units with open tasks; {len(by_unit)} have")

    def staff_of(unit_id: int):
        user, _ = User.objects.get_or_create(
            username=f"load-staff-{unit_id}", defaults={"first_name": "压测联络员", "password": "!"}
        )
        Membership.objects.get_or_create(user=user, unit_id=unit_id)
        return user

    staff_units = sorted(by_unit)[:n_staff]
    staff = [(cookie_for(staff_of(u)), [t.pk for t in by_unit[u][:STAFF_TASKS]]) for u in staff_units]
    reserved = {pk for _, ids in staff for pk in ids}
    pool = [t for t in open_tasks if t.pk not in reserved]
    pool.sort(key=lambda t: (t.status != Task.Status.COMPLETED, t.pk))
    pool = pool[:review_pool]
    if len(pool) < n_office:
        raise SystemExit(f"only {len(pool)} open tasks left for review: regenerate the data")
    for task in pool:
        if task.status != Task.Status.COMPLETED:
            services.progress_report_create(
                task=task,
                user=staff_of(task.unit_id),
                expected_version=task.version,
                status=Task.Status.COMPLETED,
                percent=100,
                progress="已全部完成（压测准备）。",
            )
    office_group = Group.objects.get(name=REFORM_OFFICE)
    office = []
    for k in range(n_office):
        user, created = User.objects.get_or_create(
            username=f"load-office-{k:02d}", defaults={"first_name": "跑改办压测", "password": "!"}
        )
        if created:
            user.groups.add(office_group)
        office.append((cookie_for(user), [t.pk for t in pool[k::n_office]]))
    run = f"load-{dt.datetime.now(dt.UTC):%m%d%H%M%S}-n{users}"
    return Round(users=users, run=run, staff=staff, office=office)


def check_stored(round_: Round) -> dict[str, int]:
    """Every report and review the server accepted is in the database, each
    report with its one file; and nothing is there that was not accepted."""
    from django.db.models import Count

    from tasks.models import ProgressReport, Review

    marker = re.compile(r"^\[([^\]]+)\]")
    reports = {
        marker.match(text).group(1): files
        for text, files in ProgressReport.objects.filter(progress__startswith=f"[{round_.run}-")
        .annotate(files=Count("evidence"))
        .values_list("progress", "files")
    }
    reviews = {
        marker.match(text).group(1)
        for text in Review.objects.filter(reason__startswith=f"[{round_.run}-").values_list(
            "reason", flat=True
        )
    }
    accepted_reports, accepted_reviews = set(round_.accepted_reports), set(round_.accepted_reviews)
    return {
        "reports accepted": len(accepted_reports),
        "reports lost": len(accepted_reports - reports.keys()),
        "reports stored, not acknowledged": len(reports.keys() - accepted_reports),
        "reports without their file": sum(1 for files in reports.values() if files != 1),
        "reviews accepted": len(accepted_reviews),
        "reviews lost": len(accepted_reviews - reviews),
        "reviews stored, not acknowledged": len(reviews - accepted_reviews),
    }


def summarise(samples: list[Sample], elapsed: float) -> dict:
    times = [s.ms for s in samples]
    return {
        "count": len(samples),
        "rate": len(samples) / elapsed,
        "p50": statistics.median(times) if times else 0.0,
        "p95": percentile(times, 0.95) if times else 0.0,
        "p99": percentile(times, 0.99) if times else 0.0,
        "errors": sum(1 for s in samples if s.error),
    }


@dataclass
class Result:
    round: Round
    floor: list[Sample]
    floor_time: float
    mix: list[Sample]
    mix_time: float
    failures: list[str]
    stored: dict[str, int]
    load: tuple[float, float]  # the machine's 1-minute load average before and after the mix
    client_cpu: tuple[float, float]  # this process's CPU seconds during the floor, during the mix


def measure(round_: Round, args, pdf: bytes) -> Result:
    """The floor, the mix, the floor again, at the round's concurrency; then
    the check. The floor is taken half before and half after the mix, so
    that others' work on a shared machine, which drifts over minutes, weighs
    on both alike."""
    floor_cookie = round_.office[0][0]

    def floor_user(k, samples):
        browser = Browser(args.port, floor_cookie, args.timeout, samples)
        return lambda: browser.get(FLOOR, "/bench/hello/", marker="hello")

    n_staff = len(round_.staff)

    def mix_user(k, samples):
        if k < n_staff:
            return staff_user(k, round_, Browser(args.port, round_.staff[k][0], args.timeout, samples), pdf)
        browser = Browser(args.port, round_.office[k - n_staff][0], args.timeout, samples)
        return office_user(k - n_staff, round_, browser)

    cpu = time.process_time()
    floor, floor_time, failures = run_clients(round_.users, args.floor_seconds / 2, floor_user)
    floor_cpu, cpu = time.process_time() - cpu, time.process_time()
    before = os.getloadavg()[0]
    mix, mix_time, mix_failures = run_clients(round_.users, args.seconds, mix_user)
    load, mix_cpu, cpu = (before, os.getloadavg()[0]), time.process_time() - cpu, time.process_time()
    after, after_time, after_failures = run_clients(round_.users, args.floor_seconds / 2, floor_user)
    floor_cpu += time.process_time() - cpu
    return Result(
        round=round_,
        floor=floor + after,
        floor_time=floor_time + after_time,
        mix=mix,
        mix_time=mix_time,
        failures=failures + mix_failures + after_failures,
        stored=check_stored(round_),
        load=load,
        client_cpu=(floor_cpu, mix_cpu),
    )


def main():
    args = parse_args()
    concurrencies = [int(n) for n in args.users.split(",")]
    workdir = Path(tempfile.mkdtemp(prefix="xsreform-load-"))
    env = server_environment(args.database_url, workdir) | {"MEDIA_ROOT": str(workdir / "media")}
    os.environ.update(env)

    import django

    django.setup()
    from django.conf import settings
    from django.db import connection
    from django.test import Client

    from indicators.models import Plan
    from tasks.models import Task

    plan = Plan.objects.order_by("-year").first()
    if plan is None or not plan.is_active:
        raise SystemExit("no active plan: run bench/province_data.py --database-url … first")

    def cookie_for(user) -> dict[str, str]:
        client = Client()
        client.force_login(user)
        return {settings.SESSION_COOKIE_NAME: client.cookies[settings.SESSION_COOKIE_NAME].value}

    subprocess.run(
        [PYTHON, "manage.py", "collectstatic", "--noinput", "-v0"], cwd=BASE_DIR, env=env, check=True
    )
    log = open(workdir / "gunicorn.log", "wb")  # noqa: SIM115 (open while the server runs)
    gunicorn = str(Path(PYTHON).parent / "gunicorn")
    server = subprocess.Popen(
        [
            *(gunicorn, "xsreform.wsgi:application", "--bind", f"{HOST}:{args.port}"),
            *("--workers", str(args.workers), "--chdir", str(BASE_DIR), "--log-level", "warning"),
        ],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    pdf = tiny_pdf()
    results = []
    try:
        wait_until_up(args.port, server)
        for users in concurrencies:
            round_ = prepare(
                plan=plan,
                users=users,
                office_share=args.office_share,
                review_pool=args.review_pool,
                cookie_for=cookie_for,
            )
            connection.close()
            result = measure(round_, args, pdf)
            results.append(result)
            print(f"{users} users: {summarise(result.mix, result.mix_time)}; {result.stored}", flush=True)
    finally:
        server.terminate()
        server.wait(timeout=30)
        log.close()
    open_left = Task.objects.for_plan(plan).active().exclude(status=Task.Status.VERIFIED).count()
    clean = report(results, args, plan, open_left)
    if clean:
        shutil.rmtree(workdir, ignore_errors=True)
    else:
        print(f"\nkept for reading: {workdir} (gunicorn.log has the server's tracebacks)")


def report(results: list[Result], args, plan, open_left: int) -> bool:
    """The table, then what was stored; True when nothing went wrong."""
    print()
    print(
        f"gunicorn, {args.workers} sync workers, production settings; plan {plan.year}; each concurrency: "
        f"the floor for {args.floor_seconds / 2:.0f} s, the mix for {args.seconds:.0f} s, the floor again for "
        f"{args.floor_seconds / 2:.0f} s; users back to back, "
        f"no think time, office share {args.office_share:.0%}"
    )
    print()
    print("| users | request | count | req/s | p50 ms | p95 ms | p99 ms | errors | p95 ÷ floor p95 |")
    print("|---:|---|---:|---:|---:|---:|---:|---:|---:|")
    for result in results:
        floor = summarise(result.floor, result.floor_time)
        rows = [(FLOOR, floor), ("**all requests of the mix**", summarise(result.mix, result.mix_time))]
        steps = dict.fromkeys(s.step for s in result.mix)
        rows += [
            (step, summarise([s for s in result.mix if s.step == step], result.mix_time)) for step in steps
        ]
        for label, f in rows:
            ratio = f["p95"] / floor["p95"] if floor["p95"] else 0.0
            print(
                f"| {result.round.users} | {label} | {f['count']:,} | {f['rate']:.1f} | {f['p50']:.0f} | "
                f"{f['p95']:.0f} | {f['p99']:.0f} | {f['errors']} | {ratio:.1f}× |"
            )
    print()
    clean = True
    for result in results:
        round_ = result.round
        print(
            f"{round_.users} users ({len(round_.staff)} staff, {len(round_.office)} office): "
            + ", ".join(f"{v} {k}" for k, v in result.stored.items())
            + f"; office rounds without a task left to review: {len(round_.views_without_review)}; "
            f"load average {result.load[0]:.1f} before the mix, {result.load[1]:.1f} after; "
            f"the client's CPU: {result.client_cpu[0] / result.floor_time:.0%} of a core during the floor, "
            f"{result.client_cpu[1] / result.mix_time:.0%} during the mix"
        )
        for failure in result.failures[:5]:
            print(f"    error: {failure[:400]}")
        if len(result.failures) > 5:
            print(f"    … {len(result.failures) - 5} more")
        problems = [v for k, v in result.stored.items() if not k.endswith("accepted")]
        clean = clean and not result.failures and not any(problems)
    print(f"\nopen tasks left in plan {plan.year} for later runs: {open_left}")
    return clean


if __name__ == "__main__":
    main()
