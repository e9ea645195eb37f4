"""Messages per channel, and the time to deliver them, for the 2019 plan's
sweeps with every unit (and the reform office) on e-mail, a DingTalk robot
and SMS, against the test doubles (reminders/tests/fakes.py) answering after
`--latency` seconds.

    python bench/channels.py [--latency 0.1] [--database-url URL]

It recreates its own database (default xsreform_channels_bench on
127.0.0.1), migrates it, loads the unit directory and imports the 2019
annex, then, in one process (as one worker would, one delivery at a time):

1. the month-end sweep of 31 July 2019 (as of 1 August 00:10): overdue
   notices only;
2. the daily sweep of the report day, Monday 26 August 2019 (the 25th is a
   Sunday): overdue repeats, due soon, report missing, escalations.

For each it prints the notices recorded, the messages per channel (e-mail
to the locmem outbox, DingTalk to the fake robot, SMS through Alibaba
Cloud's SDK to the fake endpoint) and the seconds each channel took. Each
unit has a robot of its own here; one robot shared by all units' group
allows 20 messages a minute, which the printout adds as a bound.

Only 127.0.0.1 is contacted; every loop is bounded."""

import argparse
import os
import sys
import time
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(BASE_DIR))
DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/xsreform_channels_bench"


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", default=os.environ.get("BENCH_DATABASE_URL", DEFAULT_URL))
    parser.add_argument("--latency", type=float, default=0.1, help="seconds each fake takes to answer")
    return parser.parse_args()


def recreate(url: str) -> None:
    import dj_database_url
    import psycopg2

    db = dj_database_url.parse(url)
    admin = psycopg2.connect(
        dbname="postgres", user=db["USER"], password=db["PASSWORD"], host=db["HOST"], port=db["PORT"]
    )
    admin.autocommit = True
    with admin.cursor() as cursor:
        cursor.execute(f'DROP DATABASE IF EXISTS "{db["NAME"]}"')
        cursor.execute(f'CREATE DATABASE "{db["NAME"]}"')
    admin.close()


def setup(url: str) -> None:
    os.environ.update(
        DJANGO_SETTINGS_MODULE="xsreform.settings",
        DJANGO_DEBUG="1",  # no production secrets needed; query logging is bounded
        DATABASE_URL=url,
        REDIS_URL="",
        EMAIL_HOST="",
        SITE_URL="https://portal.example.test",
    )
    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command

    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    import logging

    logging.getLogger("reminders").setLevel(logging.WARNING)
    call_command("migrate", verbosity=0)
    call_command("loaddata", "xiaoshan-units", verbosity=0)
    from indicators.annex import parse_grid, read_grid
    from indicators.services import annex_import

    annex = BASE_DIR / "fixtures" / "xiaoshan-2019-annex.xlsx"
    report = annex_import(annex=parse_grid(read_grid(annex.read_bytes())))
    assert report.ok, report.errors


def configure(robot, sms_server) -> int:
    from django.conf import settings

    from departments.models import Unit
    from reminders.tests.fakes import SECRET, FakeSms
    from reminders.tests.helpers import configure_channels

    settings.SMS_ACCESS_KEY_ID = FakeSms.ACCESS_KEY_ID
    settings.SMS_ACCESS_KEY_SECRET = "fake-access-key-secret-for-bench"
    settings.SMS_ENDPOINT = f"127.0.0.1:{sms_server.port}"
    settings.SMS_PROTOCOL = "http"
    settings.SMS_SIGN_NAME = "萧山跑改办"
    settings.SMS_TEMPLATE_CODE = "SMS_000000001"
    units = list(Unit.objects.units())
    for unit in units:
        unit.contact_email = f"unit-{unit.pk}@units.example.com"
        unit.save(update_fields=["contact_email"])
    for unit in [*units, None]:
        configure_channels(unit, webhook=robot.webhook, secret=SECRET, sms=True)
    return len(units)


def run_sweep(label, moment, *, month_end, robot, sms_server) -> None:
    import time_machine
    from django.core import mail

    from reminders import channels, sweep
    from reminders.models import Delivery, Reminder

    mail.outbox = []
    robot.reset()
    sms_server.reset()
    robot.PER_MINUTE = 10**6  # a robot per unit: no shared limit
    robot.latency = sms_server.latency = ARGS.latency
    before = Delivery.objects.count()
    with time_machine.travel(moment, tick=True):
        started = time.perf_counter()
        result = sweep.run(now=moment, month_end=month_end, any_day=True, deliver=False)
        recorded = time.perf_counter() - started
        destinations = [*sweep.units_with_pending(now=moment), None]
        started = time.perf_counter()
        _digests, failures = sweep.deliver_all(now=moment)
        mailed = time.perf_counter() - started
        seconds, counts = {}, {}
        for channel in ("dingtalk", "sms"):
            started = time.perf_counter()
            delivered = [channels.deliver(channel=channel, unit_id=unit_id) for unit_id in destinations]
            seconds[channel] = time.perf_counter() - started
            counts[channel] = [d for d in delivered if d]
    notices = sum(result.found.values())
    rows = Delivery.objects.count() - before
    print(f"\n{label}: {notices} notices recorded in {recorded:.2f} s ({dict(result.found)})")
    print(
        f"  e-mail:   {len(mail.outbox):3d} digests ({len(failures)} failed) in {mailed:.2f} s (locmem outbox)"
    )
    for channel, name in (("dingtalk", "DingTalk"), ("sms", "SMS")):
        results = counts[channel]
        carried = sum(r.count for r in results)
        left = sum(r.left_out for r in results)
        print(
            f"  {name + ':':9} {len(results):3d} messages carrying {carried} notices"
            f"{f' ({left} only counted, cut by size)' if left else ''}"
            f" in {seconds[channel]:.2f} s at {ARGS.latency * 1000:.0f} ms per answer"
        )
    print(f"  fakes: robot {len(robot.messages)} messages, SMS endpoint {len(sms_server.messages)} messages")
    print(f"  delivery rows: {rows} ({Reminder.objects.count()} notices in all)")
    if counts["dingtalk"]:
        minutes = len(counts["dingtalk"]) / 20
        print(
            f"  one robot shared by every unit (20 a minute): at least {minutes:.1f} min for the DingTalk messages"
        )


def main():
    global ARGS
    ARGS = parse_args()
    recreate(ARGS.database_url)
    setup(ARGS.database_url)
    from reminders.tests.fakes import FakeRobot, FakeSms
    from reminders.tests.helpers import at

    robot, sms_server = FakeRobot(), FakeSms()
    try:
        count = configure(robot, sms_server)
        print(f"{count} units and the office, each with e-mail, a DingTalk robot and SMS")
        run_sweep(
            "month-end sweep of July 2019 (1 Aug 00:10)",
            at(2019, 8, 1, 0, 10),
            month_end=True,
            robot=robot,
            sms_server=sms_server,
        )
        run_sweep(
            "daily sweep on the report day (Mon 26 Aug 2019)",
            at(2019, 8, 26),
            month_end=False,
            robot=robot,
            sms_server=sms_server,
        )
    finally:
        robot.stop()
        sms_server.stop()


ARGS = None

if __name__ == "__main__":
    main()
