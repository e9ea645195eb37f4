"""Everything a demo needs, safe to run again: the unit directory, the 2019
annex (as plan year N if asked), demo contacts and one account per role."""

import json
from pathlib import Path

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from departments.models import Membership, Unit
from departments.roles import LEADER, REFORM_OFFICE, ensure_role_groups
from indicators.annex import parse_grid, read_grid
from indicators.models import Plan
from indicators.services import annex_import, indicator_sections_fill

ANNEX = Path(settings.BASE_DIR) / "fixtures" / "xiaoshan-2019-annex.xlsx"
# Which section of the 2019 work-points text each indicator belongs to, read
# off the source document (shared seeds); 53 has none there.
SECTIONS = Path(settings.BASE_DIR) / "fixtures" / "xiaoshan-2019-sections.json"
PASSWORD = "xsreform-demo"

# username, display name, role, unit
ACCOUNTS = [
    ("admin", "系统管理员", "admin", None),
    ("office", "跑改办 王老师", REFORM_OFFICE, None),
    ("leader", "区领导 李主任", LEADER, None),
    ("sgj", "区数管局 联络员", "staff", "区数管局"),
    ("bszx", "区办事服务中心 联络员", "staff", "区办事服务中心"),
]


class Command(BaseCommand):
    help = "Load the demo: units, the 2019 annex, demo contacts and accounts (idempotent)."

    def add_arguments(self, parser):
        parser.add_argument("--year", type=int, help="import the 2019 annex as this plan year")
        parser.add_argument(
            "--force", action="store_true", help="run even with DJANGO_DEBUG=0 (demo passwords!)"
        )

    def handle(self, *args, year=None, force=False, **options):
        if not settings.DEBUG and not force:
            raise CommandError(
                "bootstrap_demo creates accounts with a known password; use --force outside DEBUG"
            )
        ensure_role_groups()
        if not Unit.objects.exists():
            call_command("loaddata", "xiaoshan-units", verbosity=0)
            self.stdout.write("units: loaded fixtures/xiaoshan-units.json")

        annex = parse_grid(read_grid(ANNEX.read_bytes()), year=year)
        report = annex_import(annex=annex)
        if not report.ok:
            raise CommandError("; ".join(str(p) for p in report.errors))
        self.stdout.write(f"annex {report.year}: {report.summary_line()}")
        plan = Plan.objects.get(year=report.year)
        indicator_sections_fill(plan=plan, sections=json.loads(SECTIONS.read_text(encoding="utf-8")))

        with transaction.atomic():
            for unit in Unit.objects.units().filter(contact_email=""):
                unit.contact_email = f"unit-{unit.pk}@example.com"
                unit.save(update_fields=["contact_email"])
            self._accounts()

        url = settings.SITE_URL
        self.stdout.write(f"\nxsreform demo at {url}/ (password for every account: {PASSWORD})")
        for username, _name, role, unit in ACCOUNTS:
            label = {"admin": "admin", "staff": f"staff of {unit}"}.get(role, role)
            self.stdout.write(f"  {username:<8} {label}")

    def _accounts(self):
        User = get_user_model()
        for username, name, role, unit_name in ACCOUNTS:
            user, _ = User.objects.get_or_create(username=username)
            user.first_name = name
            user.email = f"{username}@example.com"
            user.is_superuser = user.is_staff = role == "admin"
            if role == REFORM_OFFICE:
                user.is_staff = True  # edits the plan in the admin
            user.set_password(PASSWORD)
            user.save()
            if role in (REFORM_OFFICE, LEADER):
                user.groups.set([Group.objects.get(name=role)])
            if unit_name:
                Membership.objects.get_or_create(user=user, unit=Unit.objects.get(name=unit_name))
