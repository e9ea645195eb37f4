"""What the demo stands on: the unit directory with the demo towns and
streets, the plan imported from the 2019 annex, the accounts."""

import datetime as dt
import json
from pathlib import Path

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.management import call_command
from django.core.management.base import CommandError
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
# Towns and streets are not in the annex nor in the unit directory (admins
# enter them); the demo fills 各镇人民政府 / 各街道办事处 from this made-up,
# labelled list, and only bootstrap_demo loads it.
TOWNS = Path(__file__).parent / "data" / "towns.json"
DEMO_MARK = "演示数据"
PASSWORD = "xsreform-demo"

# username, display name, role, unit
ACCOUNTS = [
    ("admin", "系统管理员", "admin", None),
    ("office", "跑改办 王老师", REFORM_OFFICE, None),
    ("leader", "区领导 李主任", LEADER, None),
    ("sgj", "区数管局 联络员", "staff", "区数管局"),
    ("bszx", "区办事服务中心 联络员", "staff", "区办事服务中心"),
]


def units_ensure() -> list[str]:
    """The unit directory (fixture) and the demo towns and streets; what was
    loaded, as lines for the command's output."""
    ensure_role_groups()
    lines = []
    if not Unit.objects.exists():
        call_command("loaddata", "xiaoshan-units", verbosity=0)
        lines.append("units: loaded fixtures/xiaoshan-units.json")
    data = json.loads(TOWNS.read_text(encoding="utf-8"))
    made = []
    for unit_type in (Unit.Type.TOWN, Unit.Type.SUBDISTRICT):
        for name in data[unit_type]:
            assert DEMO_MARK in name, name  # never a name that could pass for a real unit
            _unit, created = Unit.objects.get_or_create(
                name=name, defaults={"kind": Unit.Kind.UNIT, "unit_type": unit_type}
            )
            if created:
                made.append(name)
    if made:
        lines.append(f"demo towns and streets ({DEMO_MARK}, demo/data/towns.json): {'、'.join(made)}")
    with transaction.atomic():
        for unit in Unit.objects.units().filter(contact_email=""):
            unit.contact_email = f"unit-{unit.pk}@example.com"
            unit.save(update_fields=["contact_email"])
    return lines


def plan_import(*, year: int, at: dt.datetime, draft: bool = False) -> tuple[Plan, bool, str]:
    """The 2019 annex as plan `year` (titled with that year), imported as at
    `at` (as a draft if asked), with each indicator's section of the work
    points."""
    created = not Plan.objects.filter(year=year).exists()
    annex = parse_grid(read_grid(ANNEX.read_bytes()), year=year)
    report = annex_import(annex=annex, now=at if created else None, draft=draft)
    if not report.ok:
        raise CommandError("; ".join(str(p) for p in report.errors))
    plan = Plan.objects.get(year=year)
    indicator_sections_fill(
        plan=plan, sections=json.loads(SECTIONS.read_text(encoding="utf-8")), now=at if created else None
    )
    return plan, created, report.summary_line()


def accounts_ensure() -> None:
    User = get_user_model()
    with transaction.atomic():
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


def unit_reporters() -> dict[int, object]:
    """unit id → the user who files its reports in the story: the demo
    account where there is one, else a contact of the unit with no password
    (it cannot log in; it only signs the simulated reports)."""
    User = get_user_model()
    reporters = {m.unit_id: m.user for m in Membership.objects.select_related("user").order_by("pk")}
    for unit in Unit.objects.units().exclude(pk__in=reporters):
        user, created = User.objects.get_or_create(
            username=f"demo-unit-{unit.pk}", defaults={"first_name": f"{unit.name} 联络员"}
        )
        if created:
            user.set_unusable_password()
            user.save(update_fields=["password"])
            Membership.objects.get_or_create(user=user, unit=unit)
        reporters[unit.pk] = user
    return reporters
