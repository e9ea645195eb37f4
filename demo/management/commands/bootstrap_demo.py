"""The demo of `make run`: the unit directory with a labelled demo list of
towns and streets, this year's plan from the 2019 annex, one account per
role, and the months of the year so far simulated through the services
(demo.story). Safe to run again: a year whose story is built is left as it
is (docs/demo.md)."""

import datetime as dt
import time

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from demo import consultation, story
from demo.setup import ACCOUNTS, PASSWORD, accounts_ensure, plan_import, units_ensure
from indicators.models import Plan
from indicators.services import plan_close

# The annex's own year: kept beside the current one as a closed plan.
ANNEX_YEAR = 2019


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
        accounts_ensure()
        if year > ANNEX_YEAR:
            # First, while no later plan exists (the sweep looks at every
            # active plan).
            self._annex_year(now=now, no_story=no_story)
        plan, _created, summary = plan_import(year=year, at=story.plan_start(year=year, now=now))
        self.stdout.write(f"annex {year}: {summary}")

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

    def _annex_year(self, *, now, no_story: bool) -> None:
        """The 2019 plan as the seed tells it: the draft put out for comments
        in April, adopted on 6 May (demo.consultation), its year simulated
        lightly (a report every third month, no notices), then closed
        (已结束) by the office: a past year to look back on."""
        plan = Plan.objects.filter(year=ANNEX_YEAR).first()
        if plan is not None and plan.status == Plan.Status.CLOSED:
            return
        office = get_user_model().objects.get(username=story.OFFICE)
        if plan is None:
            plan = consultation.consult_and_adopt(import_plan=plan_import, office=office)
            self.stdout.write(f"annex {ANNEX_YEAR}: {consultation.summary(plan)}, adopted")
        if not no_story and plan.is_active and not story.is_built(plan=plan):
            result = story.build(plan=plan, now=now, light=True, start=consultation.ADOPTED)
            self.stdout.write(f"story of {ANNEX_YEAR}: {result}")
        if plan.is_active:
            plan_close(plan=plan, user=office, now=consultation.CLOSED)
            self.stdout.write(f"plan {ANNEX_YEAR}: closed")
