"""The worker's CPU per digest, in-process: `reminders.delivery.deliver_units`
on the province data bench/delivery.py leaves behind, sending to an SMTP
sink in a thread that answers at once, all in one transaction rolled back
at the end (the data is left as it was).

    python bench/delivery_cpu.py [--units 100] [--batch 25] [--profile FILE]

Before delivering, the notices of the first --units units (plus a first
batch that warms the process up, not counted) that bench/delivery.py's
sweep recorded are made pending again and their repeats removed. Prints the
CPU time of the delivering thread (not the sink's) per digest and the SQL
statements per digest; --profile writes cProfile's statistics. Short: a few
seconds of one core; only 127.0.0.1 is contacted."""

import argparse
import cProfile
import os
import sys
import time
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(BASE_DIR))
sys.path.insert(0, str(BASE_DIR / "bench"))

from delivery import DEFAULT_URL, ENV, start_sink  # noqa: E402


class Rollback(Exception):
    pass


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", default=os.environ.get("BENCH_DATABASE_URL", DEFAULT_URL))
    parser.add_argument("--units", type=int, default=100)
    parser.add_argument("--batch", type=int, default=25)
    parser.add_argument("--smtp-port", type=int, default=8881)
    parser.add_argument("--profile", help="write cProfile statistics to this file")
    args = parser.parse_args()
    os.environ.update(ENV, DATABASE_URL=args.database_url, REDIS_URL="", EMAIL_PORT=str(args.smtp_port))
    import django

    django.setup()
    import logging

    logging.getLogger("reminders").setLevel(logging.WARNING)
    logging.getLogger("mail.log").setLevel(logging.WARNING)
    from django.db import connection, transaction
    from django.test.utils import CaptureQueriesContext
    from django.utils import timezone

    from reminders import delivery
    from reminders.models import Reminder

    sink, controller = start_sink(args.smtp_port, "0-0")
    now = timezone.now()
    try:
        with transaction.atomic():
            due = Reminder.objects.filter(remind_after__lte=now)
            unit_ids = sorted(set(due.values_list("unit_id", flat=True)))[: args.units + args.batch]
            Reminder.objects.filter(unit_id__in=unit_ids, remind_after__gt=now).delete()
            due.filter(unit_id__in=unit_ids).update(
                sent_at=None,
                sending_at=None,
                claim_token=None,
                claimed_at=None,
                attempts=0,
                message_id="",
                recipients="",
                refusals={},
                unconfirmed=False,
                failed_at=None,
            )
            # The first batch warms the process up (URL resolver, templates), as in a worker.
            warm, unit_ids = unit_ids[: args.batch], unit_ids[args.batch :]
            delivery.deliver_units(unit_ids=warm, now=now)
            profile = cProfile.Profile(time.thread_time) if args.profile else None
            digests = 0
            with CaptureQueriesContext(connection) as queries:
                cpu, wall = time.thread_time(), time.perf_counter()
                if profile:
                    profile.enable()
                for start in range(0, len(unit_ids), args.batch):
                    batch = delivery.deliver_units(unit_ids=unit_ids[start : start + args.batch], now=now)
                    assert not batch.failure and not batch.left, batch
                    digests += len(batch.digests)
                if profile:
                    profile.disable()
                cpu, wall = time.thread_time() - cpu, time.perf_counter() - wall
            sent = due.filter(unit_id__in=unit_ids, sent_at__isnull=False, unconfirmed=False).count()
            pending = due.filter(unit_id__in=unit_ids, sent_at=None).count()
            raise Rollback
    except Rollback:
        pass
    finally:
        controller.stop()
    if profile:
        profile.dump_stats(args.profile)
    print(
        f"{digests} digests ({sent} notices sent, {pending} pending; sink: {len(sink.message_ids)} messages, "
        f"{sink.connections} connections) in {wall:.2f} s"
    )
    print(
        f"CPU of the delivering thread: {cpu:.2f} s = {cpu / digests * 1000:.1f} ms a digest; "
        f"{len(queries)} SQL statements = {len(queries) / digests:.1f} a digest; "
        f"load average {os.getloadavg()[0]:.1f}"
    )


if __name__ == "__main__":
    main()
