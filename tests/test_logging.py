"""One warning line per refused request: no traceback, not written twice."""

import logging

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db


def emitting_handlers(logger_name: str, record: logging.LogRecord) -> list[logging.Handler]:
    """The configured handlers that would write `record` (pytest's own left out)."""
    handlers = []
    logger = logging.getLogger(logger_name)
    while logger:
        for handler in logger.handlers:
            if type(handler).__module__.startswith("_pytest"):
                continue
            if record.levelno >= handler.level and handler.filter(record):
                handlers.append(handler)
        logger = logger.parent if logger.propagate else None
    return handlers


@pytest.mark.parametrize("debug", [False, True])
def test_it_logs_a_403_once_as_a_warning_without_traceback(client, staff, caplog, settings, debug):
    settings.DEBUG = debug
    client.force_login(staff)

    with caplog.at_level(logging.INFO):
        response = client.get(reverse("departments:contacts"))

    assert response.status_code == 403
    records = [r for r in caplog.records if r.name == "django.request"]
    assert [(r.levelname, r.getMessage()) for r in records] == [
        ("WARNING", "Forbidden (Permission denied): /units/")
    ]
    assert records[0].exc_info is None and records[0].exc_text is None
    writers = [
        h for h in emitting_handlers("django.request", records[0]) if isinstance(h, logging.StreamHandler)
    ]
    assert len(writers) == 1
    assert "Traceback" not in writers[0].format(records[0])


def test_it_keeps_the_traceback_of_a_server_error(caplog):
    record = logging.LogRecord(
        "django.request", logging.ERROR, __file__, 1, "Internal Server Error", (), None
    )
    try:
        raise RuntimeError("boom")
    except RuntimeError:
        import sys

        record.exc_info = sys.exc_info()
    record.status_code = 500
    for log_filter in logging.getLogger("django.request").filters:
        log_filter.filter(record)
    assert record.exc_info is not None
