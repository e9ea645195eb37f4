"""The sweep's lock: held while a sweep runs, so that a second beat's
duplicate trigger (or a sweep run by hand meanwhile) does not run alongside.
Redis when REDIS_URL is set and Redis answers, else a PostgreSQL advisory
lock, else (the SQLite demo) a lock file. The unique constraints on notices
and sweep runs keep a duplicate harmless either way; the lock saves the work."""

import fcntl
import hashlib
import logging
from collections.abc import Iterator
from contextlib import contextmanager

from django.conf import settings
from django.db import connection

logger = logging.getLogger(__name__)


def _lock_name() -> str:
    # Two deployments (or test runs) may share one Redis: name the database.
    return f"xsreform:{settings.DATABASES['default']['NAME']}:reminder-sweep"


@contextmanager
def sweep_lock() -> Iterator[bool]:
    """Held by the sweep while it runs; yields False when another sweep holds
    it. Redis when REDIS_URL is set and Redis answers, else a PostgreSQL
    advisory lock, else (the SQLite demo) a lock file: a sweep run by hand
    while Redis is down still runs. It keeps a second beat's duplicate
    trigger from running alongside; the unique constraints (notices, sweep
    runs) keep it harmless either way."""
    name = _lock_name()
    if settings.REDIS_URL:
        import redis

        lock = redis.Redis.from_url(settings.REDIS_URL, socket_connect_timeout=5, socket_timeout=5).lock(
            name, timeout=settings.REMINDER_SWEEP_LOCK_SECONDS, blocking=False
        )
        try:
            acquired = lock.acquire()
        except (redis.exceptions.ConnectionError, redis.exceptions.TimeoutError) as error:
            logger.warning(
                "reminder sweep lock: Redis is unavailable (%s); taking the database's lock", error
            )
        else:
            if not acquired:
                yield False
                return
            try:
                yield True
            finally:
                try:
                    lock.release()
                except redis.exceptions.LockError:
                    logger.warning("reminder sweep lock expired before the sweep ended")
                except (redis.exceptions.ConnectionError, redis.exceptions.TimeoutError) as error:
                    logger.warning("reminder sweep lock not released (%s); it expires by itself", error)
            return
    with _database_lock(name) as held:
        yield held


@contextmanager
def _database_lock(name: str) -> Iterator[bool]:
    if connection.vendor == "postgresql":
        key = int.from_bytes(hashlib.blake2b(name.encode(), digest_size=8).digest(), "big", signed=True)
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_try_advisory_lock(%s)", [key])
            held = cursor.fetchone()[0]
        if not held:
            yield False
            return
        try:
            yield True
        finally:
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_unlock(%s)", [key])
    else:
        settings.VAR_DIR.mkdir(parents=True, exist_ok=True)
        with open(settings.VAR_DIR / "reminder-sweep.lock", "w") as handle:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                yield False
                return
            try:
                yield True
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)
