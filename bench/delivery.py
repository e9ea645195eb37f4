"""Delivering a province sweep's digests: one month-end sweep on the
province data, its digests sent by a real Celery worker to a local SMTP sink
that answers each message after a random 20–50 ms.

    python bench/delivery.py [--generate] [--database-url URL] [--smtp-port 8860]

1. The data: bench/province_data.py in its own database (default
   xsreform_province_dlv), generated when it is missing or with --generate;
   every unit has a contact address. A run on existing data first removes
   the notices (and sweep runs) a previous run left.
2. The month-end sweep (reminders.sweep.run, as beat's 1st-of-month 00:10
   trigger runs it), timed; then `reminders.jobs.queue_deliveries`, as the
   sweep job does, queues the delivery jobs on Redis (--redis-url, DB 11).
3. A worker started as `make run` and the production unit start it
   (`celery -A xsreform worker --loglevel=INFO`; pool and concurrency come
   from the settings, CELERY_WORKER_POOL / CELERY_WORKER_CONCURRENCY), with
   production settings (DEBUG off), sending to the sink on 127.0.0.1.
4. Waits until no notice is pending (at most --timeout seconds), stops the
   worker, and prints: notices recorded and seconds, digests, seconds to
   deliver them all (first job queued → last notice marked sent), digests/s,
   messages the sink received, SMTP connections, duplicates by Message-ID
   (must be 0), and the database check that every notice was sent exactly
   once — marked sent (not unconfirmed, not refused) under a Message-ID the
   sink received once.

`--worker-args=--concurrency=2` adds options to the worker's command line
(the figures before this benchmark's change were taken with the production
unit's `--concurrency=2`). Only 127.0.0.1 is contacted; every wait is bounded
and the worker is stopped on the way out."""

import argparse
import asyncio
import datetime as dt
import os
import random
import shlex
import signal
import subprocess
import sys
import tempfile
import time
from collections import Counter
from email.parser import BytesHeaderParser
from pathlib import Path
from urllib.parse import urlparse
from zoneinfo import ZoneInfo

BASE_DIR = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(BASE_DIR))
DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/xsreform_province_dlv"
SHANGHAI = ZoneInfo("Asia/Shanghai")
# Production settings for the worker (and this process), without a real secret.
ENV = {
    "DJANGO_SETTINGS_MODULE": "xsreform.settings",
    "DJANGO_DEBUG": "0",
    "DJANGO_SECRET_KEY": "bench-only-secret-key-not-for-production-use-0123456789",
    "CHANNEL_SECRET_KEY": "dGVzdC1vbmx5LWNoYW5uZWwta2V5LTAxMjM0NTY3ODk=",
    "DJANGO_SECURE_SSL_REDIRECT": "0",
    "DJANGO_STATIC_MANIFEST": "0",
    "ALLOWED_HOSTS": "127.0.0.1,localhost",
    "XSREFORM_ENV_FILE": "/dev/null",
    "SITE_URL": "https://portal.bench.example.test",
    "EMAIL_HOST": "127.0.0.1",
}


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", default=os.environ.get("BENCH_DATABASE_URL", DEFAULT_URL))
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/11")
    parser.add_argument("--generate", action="store_true", help="recreate the province data first")
    parser.add_argument("--smtp-port", type=int, default=8860)
    parser.add_argument("--latency", default="0.02-0.05", help="seconds the sink takes per message, min-max")
    parser.add_argument("--worker-args", default="", help="more options for `celery worker`")
    parser.add_argument("--timeout", type=float, default=900, help="seconds to wait for the digests")
    return parser.parse_args()


def database_exists(url: str) -> bool:
    import psycopg2

    name = urlparse(url).path.lstrip("/")
    admin = psycopg2.connect(url.rsplit("/", 1)[0] + "/postgres")
    try:
        with admin.cursor() as cursor:
            cursor.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name])
            return cursor.fetchone() is not None
    finally:
        admin.close()


class Sink:
    """An aiosmtpd handler that answers each message after a random wait in
    [low, high] seconds and keeps its Message-ID; counts connections."""

    def __init__(self, low: float, high: float):
        self.low, self.high = low, high
        self.message_ids: list[str] = []
        self.connections = 0
        self.last_at = 0.0
        self.rng = random.Random(2019)

    async def handle_DATA(self, server, session, envelope):
        await asyncio.sleep(self.rng.uniform(self.low, self.high))
        headers = BytesHeaderParser().parsebytes(envelope.original_content or envelope.content)
        self.message_ids.append(headers.get("Message-ID", "").strip())
        self.last_at = time.monotonic()
        return "250 Message accepted"


def start_sink(port: int, latency: str):
    from aiosmtpd.controller import Controller
    from aiosmtpd.smtp import SMTP

    low, high = (float(x) for x in latency.split("-"))
    sink = Sink(low, high)

    class CountingSMTP(SMTP):
        def connection_made(self, transport):
            sink.connections += 1
            super().connection_made(transport)

    class SinkController(Controller):
        def factory(self):
            return CountingSMTP(self.handler, **self.SMTP_kwargs)

    controller = SinkController(sink, hostname="127.0.0.1", port=port)
    controller.start()
    return sink, controller


def start_worker(args, log: Path) -> subprocess.Popen:
    """The worker as `make run` and the systemd unit start it."""
    command = [
        str(Path(sys.executable).with_name("celery")),
        "-A",
        "xsreform",
        "worker",
        "--loglevel=INFO",
        "--hostname=bench-delivery@%h",
        *shlex.split(args.worker_args),
    ]
    env = {**os.environ, "EMAIL_PORT": str(args.smtp_port)}
    out = open(log, "wb")  # noqa: SIM115 - closed when the worker is stopped
    process = subprocess.Popen(
        command, cwd=BASE_DIR, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
    )
    process.log = out
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and process.poll() is None and b" ready." not in log.read_bytes():
        time.sleep(0.2)
    if process.poll() is not None or b" ready." not in log.read_bytes():
        stop_worker(process)
        raise SystemExit(f"the worker did not start; see {log}")
    return process


def stop_worker(process: subprocess.Popen) -> None:
    """Warm shutdown of the worker's process group; killed after 30 s."""
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=10)
    process.log.close()


def cpu_seconds(process_group: int) -> float:
    """User and system CPU time of the processes in a process group (Linux)."""
    total = 0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:  # gone meanwhile
            continue
        if int(fields[2]) == process_group:  # pgrp; utime, stime are fields 14 and 15 of stat
            total += int(fields[11]) + int(fields[12])
    return total / os.sysconf("SC_CLK_TCK")


def reset_notices() -> None:
    """Another run on the same data starts from no notices."""
    from django.db import connection

    from reminders.models import Reminder, SweepRun

    tables = [Reminder._meta.db_table, SweepRun._meta.db_table]
    with connection.cursor() as cursor:
        cursor.execute(f"TRUNCATE {', '.join(tables)} CASCADE")


def main():
    args = parse_args()
    os.environ.update(ENV, DATABASE_URL=args.database_url, REDIS_URL=args.redis_url)
    if args.generate or not database_exists(args.database_url):
        subprocess.run(
            [
                sys.executable,
                str(BASE_DIR / "bench" / "province_data.py"),
                "--database-url",
                args.database_url,
            ],
            check=True,
            env={**os.environ, "DJANGO_DEBUG": "1", "REDIS_URL": ""},
            timeout=1800,
        )
    import django

    django.setup()
    import logging

    logging.getLogger("reminders").setLevel(logging.WARNING)
    logging.getLogger("mail.log").setLevel(logging.WARNING)  # aiosmtpd: a line per SMTP command
    from django.core.management import call_command
    from django.db import transaction
    from django.db.models import Count, Max, Q
    from django.utils import timezone

    from reminders import jobs, sweep
    from reminders.models import Reminder
    from xsreform.celery import app

    call_command("migrate", verbosity=0)  # data generated by an earlier version
    reset_notices()
    app.control.purge()  # jobs a run stopped midway left on the queue
    today = dt.datetime.now(SHANGHAI).date()
    as_of = dt.datetime.combine(today.replace(day=1), dt.time(0, 10), tzinfo=SHANGHAI)
    started = time.perf_counter()
    result = sweep.run(now=as_of, month_end=True, deliver=False)
    recorded_s = time.perf_counter() - started
    notices = sum(result.found.values())
    print(f"month-end sweep as of {as_of:%Y-%m-%d %H:%M}: {notices} notices recorded in {recorded_s:.1f} s")

    sink, controller = start_sink(args.smtp_port, args.latency)
    log = Path(tempfile.gettempdir()) / f"bench-delivery-worker-{os.getpid()}.log"
    worker = start_worker(args, log)
    try:
        queued_at, sink_cpu = time.monotonic(), time.process_time()
        with transaction.atomic():
            queued = jobs.queue_deliveries(now=timezone.now())
        print(f"deliveries queued for {queued} destinations; worker log: {log}", flush=True)
        # The sweep's notices; not the overdue repeats each digest schedules a week on.
        due = Reminder.objects.filter(remind_after__lte=timezone.now())
        pending = due.filter(sent_at=None, voided_at=None)
        deadline = queued_at + args.timeout
        left = pending.count()
        while left and time.monotonic() < deadline:
            time.sleep(0.5)
            left = pending.count()
        finished_at = time.monotonic()
        worker_cpu, sink_cpu = cpu_seconds(worker.pid), time.process_time() - sink_cpu
    finally:
        stop_worker(worker)
        controller.stop()

    seconds = (max(finished_at - 0.5, sink.last_at) if not left else finished_at) - queued_at
    sent = due.exclude(sent_at=None)
    digests = sent.exclude(message_id="").values("message_id").distinct().count()
    ids = Counter(sink.message_ids)
    duplicates = sum(n - 1 for n in ids.values() if n > 1)
    outcomes = due.aggregate(
        sent=Count("pk", filter=Q(sent_at__isnull=False, unconfirmed=False)),
        unconfirmed=Count("pk", filter=Q(unconfirmed=True)),
        refused=Count("pk", filter=Q(sent_at=None, failed_at__isnull=False)),
        voided=Count("pk", filter=Q(voided_at__isnull=False)),
        pending=Count("pk", filter=Q(sent_at=None, voided_at=None)),
        attempts=Max("attempts"),
    )
    unknown_ids = sent.exclude(message_id__in=list(ids)).count()
    all_once = (
        not left
        and outcomes["unconfirmed"] == outcomes["refused"] == 0
        and unknown_ids == 0
        and duplicates == 0
        and outcomes["attempts"] == 1
    )
    print(f"digests delivered: {digests} in {seconds:.1f} s = {digests / seconds:.1f} digests/s")
    print(
        f"sink: {len(sink.message_ids)} messages, {len(ids)} distinct Message-IDs, {duplicates} duplicates, "
        f"{sink.connections} SMTP connections, {args.latency} s per answer"
    )
    print(
        f"notices: {outcomes['sent']} sent, {outcomes['unconfirmed']} unconfirmed, {outcomes['refused']} refused, "
        f"{outcomes['voided']} voided, {outcomes['pending']} pending; at most {outcomes['attempts']} attempt(s); "
        f"{unknown_ids} sent under a Message-ID the sink did not receive"
    )
    print(
        f"CPU: worker {worker_cpu:.1f} s ({worker_cpu / max(digests, 1) * 1000:.1f} ms a digest), "
        f"this process (the sink, polling) {sink_cpu:.1f} s; load average {os.getloadavg()[0]:.1f}"
    )
    print(f"every notice sent exactly once: {'yes' if all_once else 'NO'}")
    if not all_once:
        sys.exit(1)


if __name__ == "__main__":
    main()
