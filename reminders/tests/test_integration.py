"""Real processes: the sweep queued through Redis, run by a `celery worker`
subprocess on the test database, delivered to an SMTP server (aiosmtpd) on
127.0.0.1. The worker takes its own queue, so parallel runs on one Redis do
not take each other's jobs."""

import contextlib
import datetime as dt
import os
import shutil
import signal
import subprocess
import sys
import time
import uuid
from email import message_from_bytes
from email import policy as email_policy
from pathlib import Path

import pytest
from django.conf import settings
from django.urls import reverse

from reminders import jobs
from reminders.models import Reminder
from xsreform.celery import app

from .helpers import at, contact_of, free_port, make_task

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]

DEADLINE = 25  # seconds for anything to happen
SITE_URL = "https://portal.example.test"


def wait_for(condition, what: str, timeout: float = DEADLINE, every: float = 0.05, meanwhile=None):
    """Poll until `condition()` is true, failing after `timeout` seconds;
    call `meanwhile()` between polls."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        if meanwhile:
            meanwhile()
        time.sleep(every)
    pytest.fail(f"timed out after {timeout} s waiting for {what}")


def database_url() -> str:
    db = settings.DATABASES["default"]
    auth = db["USER"] + (f":{db['PASSWORD']}" if db["PASSWORD"] else "")
    return f"postgres://{auth}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


# Small timeouts, so that a slow server and a dead worker show within seconds:
# 2 s for each command before the body, 3 s for the reply to the body, and a
# claim that goes stale after 6 s.
WORKER_TIMEOUTS = {"EMAIL_TIMEOUT": "2", "EMAIL_DATA_TIMEOUT": "3", "REMINDER_CLAIM_TIMEOUT_SECONDS": "6"}


def new_queue() -> str:
    return f"xsreform-it-{uuid.uuid4().hex[:10]}"


def start_worker(log: Path, *, queue: str | None = None, **env) -> tuple[subprocess.Popen, str]:
    """`celery -A xsreform worker --pool=solo` on a queue of its own (or
    `queue`), on the test database, sending mail to the test's SMTP server
    (EMAIL_PORT in `env`); returns the process and its queue. The log is
    appended to, so a second worker on the same log is told apart."""
    queue = queue or new_queue()
    env = {
        **os.environ,
        "DATABASE_URL": database_url(),
        "CELERY_QUEUE": queue,
        "EMAIL_HOST": "127.0.0.1",
        **WORKER_TIMEOUTS,
        "REMINDER_MAIL_RETRY_SECONDS": "1",
        "SITE_URL": SITE_URL,
        **env,
    }
    celery = Path(sys.executable).with_name("celery")
    started = log.read_bytes().count(b"ready.") if log.exists() else 0
    with open(log, "ab") as out:
        process = subprocess.Popen(
            [
                str(celery),
                "-A",
                "xsreform",
                "worker",
                "--pool=solo",
                "--queues",
                queue,
                "--hostname",
                f"{queue}-{uuid.uuid4().hex[:4]}@%h",
                "--without-heartbeat",
                "--without-gossip",
                "--without-mingle",
                "--loglevel=INFO",
            ],
            cwd=settings.BASE_DIR,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    wait_for(
        lambda: process.poll() is not None or log.read_bytes().count(b"ready.") > started,
        "the worker to start",
        timeout=30,
    )
    assert process.poll() is None, log.read_text(errors="replace")
    return process, queue


def stop(process: subprocess.Popen) -> None:
    process.terminate()
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=5)


@contextlib.contextmanager
def running_worker(port: int, queue: str, log: Path):
    """A worker on `queue` mailing the SMTP server on `port`, for the block;
    yields the process."""
    process, _ = start_worker(log, queue=queue, EMAIL_PORT=str(port))
    try:
        yield process
    finally:
        stop(process)


@pytest.fixture(scope="module")
def worker(django_db_setup, django_db_blocker, smtp, tmp_path_factory):
    """A worker on the machine's Redis (REDIS_URL), on a queue of its own, for the module."""
    if not settings.REDIS_URL:
        pytest.fail("REDIS_URL is not set: the integration tests need Redis (run `make test`)")
    _, port = smtp
    queue = new_queue()
    log = tmp_path_factory.mktemp("worker") / "worker.log"
    with running_worker(port, queue, log):
        yield queue, log


def queue_sweep(queue: str, moment) -> None:
    jobs.reminders_sweep.apply_async(
        kwargs={"month_end": True, "as_of": moment.isoformat()}, queue=queue, ignore_result=True
    )


def sent(reminder_id: int) -> bool:
    return Reminder.objects.filter(pk=reminder_id, sent_at__isnull=False).exists()


def test_it_delivers_a_sweep_queued_through_the_broker(worker, mailbox, units, contacts, staff):
    queue, _log = worker
    task = make_task(due=dt.date(2019, 7, 31))
    started = time.monotonic()

    queue_sweep(queue, at(2019, 8, 1, 0, 10))

    (message,) = wait_for(lambda: mailbox.messages, "the digest at the SMTP server")
    reminder = wait_for(
        lambda: Reminder.objects.filter(task=task, period="2019-07-31#0", sent_at__isnull=False).first(),
        "the notice marked sent",
    )
    print(f"sweep queued → digest accepted in {time.monotonic() - started:.2f} s")
    # (Python folds the encoded header after "Subject:", hence the strip.)
    assert message["Subject"].strip() == "【改革任务提醒】区数管局：已逾期 1 项"
    assert {a.addr_spec for a in message["To"].addresses} == {"sgj@example.com", contact_of(task.unit)}
    body = message.get_body(("plain",)).get_content()
    assert f"{SITE_URL}/tasks/{task.pk}/" in body
    assert "2019年7月31日" in body
    assert message.get_body(("html",)) is not None
    assert (reminder.attempts, reminder.recipients) == (1, f"sgj@example.com, {contact_of(task.unit)}")


def test_it_delivers_exactly_one_copy_when_the_server_refuses_twice(worker, mailbox, units, contacts):
    queue, log = worker
    task = make_task(due=dt.date(2019, 7, 31))
    mailbox.refuse = 2

    queue_sweep(queue, at(2019, 8, 1, 0, 10))

    reminder = wait_for(
        lambda: Reminder.objects.filter(task=task, period="2019-07-31#0", sent_at__isnull=False).first(),
        "the notice marked sent after two refusals",
        every=0.5,
        # Beat's retry run, every minute in production; twice a second here.
        meanwhile=lambda: jobs.reminders_retry.apply_async(queue=queue, ignore_result=True),
    )
    assert mailbox.attempts == 3
    assert len(mailbox.messages) == 1
    assert reminder.attempts == 3
    assert reminder.last_error == ""
    worker_log = log.read_text(errors="replace")
    assert "retry 1 in 1 s" in worker_log
    assert "retry 2 in 2 s" in worker_log
    # Queueing the same sweep again sends nothing more.
    queue_sweep(queue, at(2019, 8, 1, 0, 10))
    sweeps = worker_log.count("reminder sweep:")
    wait_for(lambda: log.read_text(errors="replace").count("reminder sweep:") > sweeps, "the second sweep")
    assert len(mailbox.messages) == 1


def run_job(queue: str, log: Path, job, **options) -> None:
    """Queue `job` and wait until the worker has run it. The worker runs one
    job at a time, in order: whatever was queued before has run too."""
    job_id = job.apply_async(queue=queue, ignore_result=True, **options).id
    wait_for(lambda: f"[{job_id}] succeeded" in log.read_text(errors="replace"), f"{job.name} to run")


def sweep_and_deliver(queue: str, log: Path, moment, *, month_end: bool = True) -> None:
    """The month-end (or daily) sweep, and every delivery it queued, run."""
    run_job(queue, log, jobs.reminders_sweep, kwargs={"month_end": month_end, "as_of": moment.isoformat()})
    run_job(queue, log, jobs.reminders_deliver_office, kwargs={"as_of": moment.isoformat()})


def new_lines(log: Path, since: int) -> str:
    return log.read_bytes()[since:].decode(errors="replace")


def test_it_sends_one_copy_to_a_server_that_answers_after_the_timeout_and_never_again(
    worker, mailbox, units, contacts
):
    """The server has the message but its 250 comes after EMAIL_DATA_TIMEOUT:
    the digest may have arrived, so it is unconfirmed, not sent again."""
    queue, log = worker
    since = log.stat().st_size
    task = make_task(due=dt.date(2019, 7, 31))
    mailbox.delay = 5  # > EMAIL_DATA_TIMEOUT (3 s)

    sweep_and_deliver(queue, log, at(2019, 8, 1, 0, 10))

    assert len(mailbox.messages) == 1
    reminder = Reminder.objects.get(task=task, period="2019-07-31#0")
    assert reminder.status() == "unconfirmed"
    assert "timed out" in reminder.last_error
    worker_log = new_lines(log, since)
    assert "unconfirmed, not retried" in worker_log
    assert " retry " not in worker_log
    # The next sweep leaves it alone too.
    sweep_and_deliver(queue, log, at(2019, 8, 1, 8, 30), month_end=False)
    assert len(mailbox.messages) == 1
    assert mailbox.attempts == 1
    reminder.refresh_from_db()
    assert reminder.status() == "unconfirmed"


def test_it_never_sends_a_second_copy_after_the_worker_is_killed_once_the_message_went_out(
    smtp, mailbox, units, contacts, tmp_path
):
    """SIGKILL to the worker while the server holds the message and has not
    answered yet; a new worker and the next sweep, after the claim went stale."""
    if not settings.REDIS_URL:
        pytest.fail("REDIS_URL is not set: the integration tests need Redis (run `make test`)")
    _, port = smtp
    queue, log = new_queue(), tmp_path / "worker.log"
    task = make_task(due=dt.date(2019, 7, 31))
    moment = at(2019, 8, 1, 0, 10)
    mailbox.hold = True

    with running_worker(port, queue, log) as process:
        queue_sweep(queue, moment)
        assert mailbox.received.wait(DEADLINE), "the message at the SMTP server"
        os.kill(process.pid, signal.SIGKILL)
        process.wait(timeout=10)
    mailbox.release.set()
    reminder = Reminder.objects.get(task=task, period="2019-07-31#0")
    stale = int(WORKER_TIMEOUTS["REMINDER_CLAIM_TIMEOUT_SECONDS"])

    with running_worker(port, queue, log):
        wait_for(
            lambda: time.time() > reminder.claimed_at.timestamp() + stale + 0.5,
            "the claim to go stale",
            timeout=stale + 5,
        )
        # Beat's retry run finds the stale claim (the month-end sweep has run
        # for the month already and would be dropped); then the next day's sweep.
        run_job(queue, log, jobs.reminders_retry)
        run_job(queue, log, jobs.reminders_deliver_office)  # after the deliveries it queued
        sweep_and_deliver(queue, log, at(2019, 8, 2, 8, 30), month_end=False)

    assert len(mailbox.messages) == 1
    reminder.refresh_from_db()
    assert reminder.status() == "unconfirmed"
    assert reminder.sent_at == reminder.sending_at
    # The overdue chase goes on: the repeat is scheduled as for a sent notice.
    assert Reminder.objects.filter(task=task, period="2019-07-31#1").exists()


def test_it_delivers_to_the_recipients_the_server_takes_and_records_the_one_it_refuses(
    worker, mailbox, units, contacts, staff
):
    queue, log = worker
    task = make_task(due=dt.date(2019, 7, 31))
    mailbox.refuse_rcpt = {contact_of(task.unit): "550 5.1.1 Mailbox unavailable"}

    sweep_and_deliver(queue, log, at(2019, 8, 1, 0, 10))

    assert mailbox.envelopes == [["sgj@example.com"]]
    reminder = Reminder.objects.get(task=task, period="2019-07-31#0")
    assert reminder.status() == "sent"
    assert reminder.refusals == {contact_of(task.unit): "550 5.1.1 Mailbox unavailable"}


def test_it_does_not_retry_a_digest_whose_every_recipient_was_refused_and_shows_it_in_the_log(
    worker, mailbox, units, contacts, staff, office, client
):
    queue, log = worker
    since = log.stat().st_size
    task = make_task(due=dt.date(2019, 7, 31))
    refused = {"sgj@example.com": "550 5.1.1 No such user", contact_of(task.unit): "550 5.7.1 Rejected"}
    mailbox.refuse_rcpt = dict(refused)

    sweep_and_deliver(queue, log, at(2019, 8, 1, 0, 10))
    sweep_and_deliver(queue, log, at(2019, 8, 1, 8, 30), month_end=False)  # the next sweep

    assert mailbox.rcpt_attempts == 2  # one digest, two recipients, once
    assert mailbox.messages == []
    assert " retry " not in new_lines(log, since)
    reminder = Reminder.objects.get(task=task, period="2019-07-31#0")
    assert (reminder.status(), reminder.attempts, reminder.refusals) == ("refused", 1, refused)
    client.force_login(office)
    page = client.get(reverse("reminders:notice_log"), {"status": "refused"}).content.decode()
    assert "发送失败（永久，需检查地址）" in page
    assert "550 5.1.1 No such user" in page


def test_it_runs_a_backlog_of_copies_of_a_sweep_once_and_queues_one_delivery_for_its_units(
    worker, mailbox, units, contacts
):
    queue, log = worker
    make_task(due=dt.date(2019, 7, 31), unit="区数管局", code="1")
    make_task(due=dt.date(2019, 7, 31), unit="区法院", code="2")
    before = log.read_text(errors="replace")

    for _ in range(20):  # triggers queued while the workers were down
        queue_sweep(queue, at(2019, 8, 1, 0, 10))

    wait_for(
        lambda: (
            log.read_text(errors="replace").count("reminder sweep:") >= before.count("reminder sweep:") + 20
        ),
        "the 20 sweeps",
    )
    # Every job the sweeps queued is ahead of this one.
    last = jobs.reminders_deliver_office.apply_async(queue=queue, ignore_result=True)
    wait_for(lambda: f"[{last.id}] succeeded" in log.read_text(errors="replace"), "the queue drained")
    lines = log.read_text(errors="replace").removeprefix(before).splitlines()
    dropped = [line for line in lines if "reminder sweep:" in line and "has run already" in line]
    deliveries = [line for line in lines if "reminders_deliver_units[" in line and "received" in line]
    print(f"20 queued sweeps → {len(dropped)} dropped, {len(deliveries)} delivery jobs")
    assert (len(dropped), len(deliveries)) == (19, 1)  # one batch: both units
    assert len(mailbox.messages) == 2


def test_it_runs_the_demo_sweep_on_sqlite_and_writes_the_mail_to_files(tmp_path):
    """What `make run` has: SQLite, no Redis, e-mail to var/mail."""
    from tests.test_settings import run_manage

    demo = {"DJANGO_DEBUG": "1", "XSREFORM_VAR_DIR": str(tmp_path), "REDIS_URL": "", "EMAIL_HOST": ""}
    for command in (
        ["migrate", "--noinput"],
        ["bootstrap_demo", "--year", "2019", "--no-story"],
        ["send_reminders", "--as-of", "2019-08-01"],
    ):
        result = run_manage(*command, **demo)
        assert result.returncode == 0, result.stderr[-2000:]
    assert "digest(s) sent, 0 failed" in result.stdout
    mails = list((tmp_path / "mail").glob("*.log"))
    # Django's file backend names a file by the second and the connection's
    # id(), so two digests in one second may share a file: count messages.
    separator = b"\n" + b"-" * 79 + b"\n"
    assert sum(m.read_bytes().count(separator) for m in mails) == result.stdout.count("sent to ") > 30
    subjects = {
        message_from_bytes(message.lstrip(), policy=email_policy.default)["Subject"].strip()
        for m in mails
        for message in m.read_bytes().split(separator)
        if message.strip()
    }
    assert any(s.startswith("【改革任务提醒】区数管局：") for s in subjects), subjects
    again = run_manage("send_reminders", "--as-of", "2019-08-01", **demo)
    assert "0 digest(s) sent" in again.stdout
    assert sorted((tmp_path / "mail").glob("*.log")) == sorted(mails)


class OwnRedis:
    """A redis-server of the test's own on a free port, without persistence,
    so that it can be restarted: the machine's Redis is shared."""

    def __init__(self, directory: Path):
        self.directory = directory
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"

    def answers(self) -> bool:
        import redis

        try:
            return redis.Redis(port=self.port, socket_connect_timeout=1).ping()
        except redis.exceptions.ConnectionError:
            return False

    def start(self) -> None:
        options = {"port": self.port, "bind": "127.0.0.1", "save": "", "appendonly": "no", "daemonize": "yes"}
        arguments = [word for name, value in options.items() for word in (f"--{name}", str(value))]
        subprocess.run(
            ["redis-server", *arguments, "--dir", str(self.directory), "--logfile", "redis.log"],
            check=True,
            timeout=30,
        )
        wait_for(self.answers, "redis-server to start")

    def stop(self) -> None:
        subprocess.run(["redis-cli", "-p", str(self.port), "shutdown", "nosave"], timeout=30)
        wait_for(lambda: not self.answers(), "redis-server to stop")


@pytest.fixture
def own_redis(tmp_path):
    if not shutil.which("redis-server"):
        pytest.fail("redis-server is not installed: this test restarts a Redis of its own")
    server = OwnRedis(tmp_path)
    server.start()
    yield server
    if server.answers():
        server.stop()


def queue_on(url: str, job, queue: str, **kwargs) -> None:
    with app.connection_for_write(url) as connection:
        job.apply_async(kwargs=kwargs, queue=queue, connection=connection, ignore_result=True)


def test_it_survives_a_redis_restart_while_a_refused_digest_waits_and_sends_it_once(
    own_redis, smtp, mailbox, units, contacts, tmp_path
):
    """kombu 5.7.0 crashed a worker holding a retry's countdown message when
    Redis restarted (AttributeError in restore_unacked). The retry now waits
    in the database, and beat's retry run sends it."""
    _, port = smtp
    log = tmp_path / "worker.log"
    process, queue = start_worker(
        log, EMAIL_PORT=str(port), REDIS_URL=own_redis.url, REMINDER_MAIL_RETRY_SECONDS="5"
    )
    try:
        task = make_task(due=dt.date(2019, 7, 31))
        mailbox.refuse = 1
        queue_on(
            own_redis.url,
            jobs.reminders_sweep,
            queue,
            month_end=True,
            as_of=at(2019, 8, 1, 0, 10).isoformat(),
        )
        wait_for(
            lambda: Reminder.objects.filter(task=task, sent_at=None).exclude(last_error="").exists(),
            "the first attempt refused",
        )
        connected = log.read_text(errors="replace").count("Connected to")

        own_redis.stop()
        own_redis.start()

        wait_for(
            lambda: (
                process.poll() is not None
                or log.read_text(errors="replace").count("Connected to") > connected
            ),
            "the worker to reconnect (or die)",
        )
        assert process.poll() is None, log.read_text(errors="replace")[-3000:]
        assert "AttributeError" not in log.read_text(errors="replace")
        reminder = wait_for(
            lambda: Reminder.objects.filter(task=task, period="2019-07-31#0", sent_at__isnull=False).first(),
            "the digest sent by the retry run",
            every=0.5,
            meanwhile=lambda: queue_on(own_redis.url, jobs.reminders_retry, queue),
        )
        assert len(mailbox.messages) == 1
        assert (mailbox.attempts, reminder.attempts, reminder.last_error) == (2, 2, "")
        assert process.poll() is None
    finally:
        stop(process)
