"""Real processes: the sweep queued through Redis, run by a `celery worker`
subprocess on the test database, delivered to an SMTP server (aiosmtpd) on
127.0.0.1. The worker takes its own queue, so parallel runs on one Redis do
not take each other's jobs."""

import datetime as dt
import os
import shutil
import socket
import subprocess
import sys
import time
import uuid
from email import message_from_bytes
from email import policy as email_policy
from pathlib import Path

import pytest
from django.conf import settings

from tasks import jobs
from tasks.models import Reminder
from xsreform.celery import app

from .helpers import at, contact_of, make_task

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


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Mailbox:
    """An aiosmtpd handler that refuses the first `refuse` messages with a 451."""

    def __init__(self):
        self.reset()

    def reset(self):
        self.refuse = 0
        self.attempts = 0
        self.messages = []

    async def handle_DATA(self, server, session, envelope):
        self.attempts += 1
        if self.refuse > 0:
            self.refuse -= 1
            return "451 4.3.0 Try again later"
        self.messages.append(message_from_bytes(envelope.content, policy=email_policy.default))
        return "250 Message accepted"


@pytest.fixture(scope="module")
def smtp():
    from aiosmtpd.controller import Controller

    mailbox = Mailbox()
    controller = Controller(mailbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    yield mailbox, controller.port
    controller.stop()


def database_url() -> str:
    db = settings.DATABASES["default"]
    auth = db["USER"] + (f":{db['PASSWORD']}" if db["PASSWORD"] else "")
    return f"postgres://{auth}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


def start_worker(log: Path, **env) -> tuple[subprocess.Popen, str]:
    """`celery -A xsreform worker` on a queue of its own, on the test database,
    sending mail to the test's SMTP server; returns the process and its queue."""
    queue = f"xsreform-it-{uuid.uuid4().hex[:10]}"
    env = {
        **os.environ,
        "DATABASE_URL": database_url(),
        "CELERY_QUEUE": queue,
        "EMAIL_HOST": "127.0.0.1",
        "EMAIL_TIMEOUT": "10",
        "REMINDER_MAIL_RETRY_SECONDS": "1",
        "SITE_URL": SITE_URL,
        **env,
    }
    celery = Path(sys.executable).with_name("celery")
    with open(log, "wb") as out:
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
                f"{queue}@%h",
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
        lambda: process.poll() is not None or b"ready." in log.read_bytes(),
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


@pytest.fixture(scope="module")
def worker(django_db_setup, django_db_blocker, smtp, tmp_path_factory):
    """A worker on the machine's Redis (REDIS_URL)."""
    if not settings.REDIS_URL:
        pytest.skip("REDIS_URL is not set")
    _, port = smtp
    log = tmp_path_factory.mktemp("worker") / "worker.log"
    process, queue = start_worker(log, EMAIL_PORT=str(port))
    try:
        yield queue, log
    finally:
        stop(process)


@pytest.fixture
def mailbox(smtp):
    box, _ = smtp
    box.reset()
    return box


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


def test_it_runs_a_backlog_of_copies_of_a_sweep_once_and_queues_one_delivery_per_unit(
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
    deliveries = [line for line in lines if "reminders_deliver_unit[" in line and "received" in line]
    print(f"20 queued sweeps → {len(dropped)} dropped, {len(deliveries)} delivery jobs")
    assert (len(dropped), len(deliveries)) == (19, 2)
    assert len(mailbox.messages) == 2


def test_it_runs_the_demo_sweep_on_sqlite_and_writes_the_mail_to_files(tmp_path):
    """What `make run` has: SQLite, no Redis, e-mail to var/mail."""
    from tests.test_settings import run_manage

    demo = {"DJANGO_DEBUG": "1", "XSREFORM_VAR_DIR": str(tmp_path), "REDIS_URL": "", "EMAIL_HOST": ""}
    for command in (
        ["migrate", "--noinput"],
        ["bootstrap_demo"],
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
        message_from_bytes(m.read_bytes(), policy=email_policy.default)["Subject"].strip() for m in mails
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
        pytest.skip("redis-server is not installed")
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
