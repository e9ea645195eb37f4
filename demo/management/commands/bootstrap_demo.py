"""The demo of `make run`: the unit directory with a labelled demo list of
towns and streets, this year's plan from the 2019 annex, one account per
role, and the months of the year so far simulated through the services
(demo.story). Safe to run again: a year whose story is built is left as it
is (docs/demo.md)."""

import datetime as dt
import time

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from demo import story
from demo.setup import ACCOUNTS, PASSWORD, accounts_ensure, plan_import, units_ensure


class Command(BaseCommand):
    help = (
        "Load the demo: units (with demo towns and streets), this year's plan from the 2019 annex, "
        "demo accounts and the months so far simulated (idempotent)."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--year", type=int, help="build the plan of this year (default: the current year, Asia/Shanghai)"
        )
        parser.add_argument(
            "--no-story",
            action="store_true",
            help="only the units, the plan and the accounts: no simulated reports, reviews or notices",
        )
        parser.add_argument(
            "--force", action="store_true", help="run even with DJANGO_DEBUG=0 (demo passwords!)"
        )

    def handle(self, *args, year=None, no_story=False, force=False, **options):
        if not settings.DEBUG and not force:
            raise CommandError(
                "bootstrap_demo creates accounts with a known password; use --force outside DEBUG"
            )
        started = time.perf_counter()
        now = timezone.now()
        year = year or timezone.localdate(now).year
        for line in units_ensure():
            self.stdout.write(line)
        plan, _created, summary = plan_import(year=year, at=story.plan_start(year=year, now=now))
        self.stdout.write(f"annex {year}: {summary}")
        accounts_ensure()

        if no_story:
            pass
        elif story.is_built(plan=plan):
            self.stdout.write(f"the story of {year} is built already: left as it is")
        else:
            result = story.build(plan=plan, now=now)
            self.stdout.write(f"story of {year} until {timezone.localtime(now):%Y-%m-%d %H:%M}: {result}")

        url = settings.SITE_URL
        self.stdout.write(f"\nxsreform demo at {url}/ (password for every account: {PASSWORD})")
        for username, _name, role, unit in ACCOUNTS:
            label = {"admin": "admin", "staff": f"staff of {unit}"}.get(role, role)
            self.stdout.write(f"  {username:<8} {label}")
        self.stdout.write(f"built in {dt.timedelta(seconds=round(time.perf_counter() - started))}")
