"""Run the reminder sweep by hand, in this process: the same steps as the
Celery job, with the digests sent here rather than by workers."""

import datetime as dt

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime

from reminders import sweep
from reminders.delivery import UNCONFIRMED
from tasks.models import site_timezone

DAILY_AT = dt.time(8, 30)


def parse_as_of(value: str) -> dt.datetime:
    """`2019-08-01` (the daily sweep's time, 08:30) or `2019-08-01T00:10`,
    in Asia/Shanghai unless an offset is given."""
    try:
        day = parse_date(value)
        moment = dt.datetime.combine(day, DAILY_AT) if day else parse_datetime(value)
    except ValueError:
        moment = None
    if moment is None:
        raise CommandError(f"--as-of: not a date or date-time: {value!r}")
    if timezone.is_naive(moment):
        moment = moment.replace(tzinfo=site_timezone())
    return moment


class Command(BaseCommand):
    help = "Run the reminder sweep: record due notices and send one digest per unit."

    def add_arguments(self, parser):
        parser.add_argument(
            "--as-of",
            metavar="DATE",
            help="sweep as of this date (08:30) or date-time, Asia/Shanghai; default: now",
        )
        parser.add_argument("--dry-run", action="store_true", help="show what would be sent; change nothing")
        parser.add_argument(
            "--month-end", action="store_true", help="the month-end sweep: overdue notices only, any day"
        )
        parser.add_argument("--any-day", action="store_true", help="run the daily sweep on a day off too")

    def handle(self, *args, as_of=None, dry_run=False, month_end=False, any_day=False, **options):
        now = parse_as_of(as_of) if as_of else timezone.now()
        result = sweep.run(now=now, month_end=month_end, any_day=any_day, dry_run=dry_run)
        local = timezone.localtime(now, site_timezone())
        kind = "month-end" if month_end else "daily"
        self.stdout.write(
            f"{kind} sweep as of {local:%Y-%m-%d %H:%M} ({local.tzinfo}){' — dry run' if dry_run else ''}"
        )
        for year in sorted(result.fallback_years):
            self.stderr.write(
                self.style.WARNING(
                    f"warning: no holiday calendar for {year}; counted Monday to Friday as working days"
                )
            )
        if result.skipped:
            self.stdout.write(f"skipped: {result.skipped}")
            return
        found = ", ".join(f"{reason} {count}" for reason, count in result.found.items())
        self.stdout.write(f"new notices: {found}")
        verb = "would send" if dry_run else "sent"
        for digest in result.digests:
            to = ", ".join(digest.recipients) or "no e-mail address (portal only)"
            if digest.outcome == UNCONFIRMED:
                to += "; no reply from the server after the message: unconfirmed, not sent again"
            if digest.refusals:
                to += f"; refused: {', '.join(digest.refusals)}"
            self.stdout.write(f"{verb} to {digest.label} <{to}>: {len(digest.reminders)} notice(s)")
            for reminder in digest.reminders:
                if not reminder.task_id:  # about a plan
                    self.stdout.write(f"  {reminder.reason:<14} {reminder.plan.year:>5} {reminder.period}")
                    continue
                indicator = reminder.task.indicator
                unit = "" if digest.unit else f" {reminder.task.unit.name}"
                self.stdout.write(
                    f"  {reminder.reason:<14} {indicator.code:>5} {reminder.due_date}{unit} "
                    f"{indicator.task_text[:30]}"
                )
        for sent in result.sent_by_channel:
            left = f" ({sent.left_out} left out of the message, counted)" if sent.left_out else ""
            error = f": {sent.outcome.error}" if sent.outcome.error else ""
            self.stdout.write(
                f"{sent.channel} to {sent.label}: {sent.count} notice(s), {sent.outcome.status}{left}{error}"
            )
        for failure in result.failures:
            then = "not sent again to these addresses" if failure.permanent else "left for the next sweep"
            self.stderr.write(self.style.ERROR(f"not sent ({then}): {failure}"))
        self.stdout.write(
            f"{len(result.digests)} digest(s) {verb}, {len(result.failures)} failed, in {result.seconds:.2f} s"
        )
        if result.failures:
            raise CommandError(f"{len(result.failures)} digest(s) could not be sent")
