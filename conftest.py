"""Shared test setup. The suite runs on PostgreSQL (`make test`); it refuses to
run on anything else rather than quietly testing another database."""

import os

import pytest
from django.conf import settings


def pytest_configure(config):
    settings.STATIC_ROOT.mkdir(parents=True, exist_ok=True)  # WhiteNoise warns without it
    engine = settings.DATABASES["default"]["ENGINE"]
    if "postgresql" not in engine and not os.environ.get("XSREFORM_TEST_ANY_DB"):
        raise pytest.UsageError(
            f"the test suite needs PostgreSQL (DATABASE_URL), not {engine}; run `make test`"
        )


ANNEX_XLSX = settings.BASE_DIR / "fixtures" / "xiaoshan-2019-annex.xlsx"


@pytest.fixture(autouse=True)
def fast_passwords(settings):
    """The standing users are made for every test; real hashing costs 0.2 s each."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def chinese(settings):
    """Start every test in the default language: a request with the English
    cookie leaves English active in the thread, and services called directly
    afterwards would answer in English."""
    from django.utils import translation

    translation.activate(settings.LANGUAGE_CODE)
    yield
    translation.activate(settings.LANGUAGE_CODE)


@pytest.fixture(autouse=True)
def empty_cache():
    """Every test starts with an empty cache: the test databases reuse ids
    from test to test, which the overview's caches key on."""
    from django.core.cache import cache

    cache.clear()


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    """Uploads (evidence, import files waiting for confirmation) go to a
    fresh directory for each test, never into the working tree."""
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


@pytest.fixture
def units(db):
    """The unit directory of fixtures/xiaoshan-units.json (units, groups, aliases)."""
    from django.core.management import call_command

    call_command("loaddata", "xiaoshan-units", verbosity=0)


@pytest.fixture
def plan_2019(units):
    """The 2019 annex imported, with its tasks."""
    from indicators.annex import parse_grid, read_grid
    from indicators.services import annex_import

    report = annex_import(annex=parse_grid(read_grid(ANNEX_XLSX.read_bytes())))
    assert report.ok, report.errors
    from indicators.models import Plan

    return Plan.objects.get(year=2019)


def _user(username, *, role=None, unit=None, **extra):
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group

    from departments.models import Membership, Unit
    from departments.roles import ensure_role_groups

    user = get_user_model().objects.create_user(
        username=username, email=f"{username}@example.com", password="pw-" + username, **extra
    )
    if role:
        ensure_role_groups()
        user.groups.add(Group.objects.get(name=role))
    if unit:
        Membership.objects.create(user=user, unit=Unit.objects.get(name=unit))
    return user


@pytest.fixture
def staff(units):
    """Staff (联络员) of 区数管局."""
    return _user("sgj", unit="区数管局")


@pytest.fixture
def other_staff(units):
    """Staff of another unit, 区办事服务中心."""
    return _user("bszx", unit="区办事服务中心")


@pytest.fixture
def office(db):
    """Someone in the reform office (跑改办)."""
    from departments.roles import REFORM_OFFICE

    return _user("office", role=REFORM_OFFICE, is_staff=True)


@pytest.fixture
def leader(db):
    from departments.roles import LEADER

    return _user("leader", role=LEADER)


@pytest.fixture
def admin_user(db):
    return _user("admin", is_staff=True, is_superuser=True)
