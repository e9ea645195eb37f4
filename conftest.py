"""Shared test setup. The suite runs on PostgreSQL (`make test`); it refuses to
run on anything else rather than quietly testing another database."""

import os

import pytest
from django.conf import settings


def pytest_configure(config):
    engine = settings.DATABASES["default"]["ENGINE"]
    if "postgresql" not in engine and not os.environ.get("XSREFORM_TEST_ANY_DB"):
        raise pytest.UsageError(
            f"the test suite needs PostgreSQL (DATABASE_URL), not {engine}; run `make test`"
        )
