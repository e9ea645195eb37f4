"""Beat's scheduler: django-celery-beat's DatabaseScheduler (the schedule
lives in the database, editable in the admin), with the catch-up rule the
reminders need after beat was down (settings.CELERY_BEAT_SCHEDULER).

With a stale `last_run_at`, a crontab entry is due at once, whatever the
hour: beat started at 06:05 sent the 08:30 sweep at 06:05. And
DatabaseScheduler (2.8+) reads only the crontab entries whose hour is within
two hours of now: beat started at 14:44 sent nothing until 06:00 the next
day — and then, the entry being stale, at 06:00. Here:

- every enabled entry is read, whatever its hour (we have three);
- a missed crontab run is caught up when beat starts, unless a run of the
  entry is still ahead today: then it waits for it. The daily 08:30 sweep
  after an outage runs at 08:30, or at start when today's 08:30 has passed;
  never before 08:30. The month-end sweep (00:10 on the 1st) runs at 00:10
  on the 1st, or at start when that has passed.

A sweep triggered twice on one day anyway (a second beat, a restart before
beat saved `last_run_at`) is dropped by the job (tasks.models.SweepRun)."""

import datetime as dt

from celery import schedules
from django_celery_beat.schedulers import DatabaseScheduler, ModelEntry


class CatchUpEntry(ModelEntry):
    def is_due(self):
        state = super().is_due()
        if not state.is_due or not isinstance(self.schedule, schedules.crontab):
            return state
        now = self.schedule.now()
        midnight = now.replace(hour=0, minute=0, second=0, microsecond=0)
        # The entry's first run today: the first after one minute to midnight.
        first_today = now + self.schedule.remaining_estimate(midnight - dt.timedelta(minutes=1))
        if now < first_today and first_today.date() == now.date():
            return schedules.schedstate(False, (first_today - now).total_seconds())
        return state


class CatchUpScheduler(DatabaseScheduler):
    Entry = CatchUpEntry

    def enabled_models_qs(self):
        # Not DatabaseScheduler's two-hour window around now: an entry whose
        # hour passed while beat was down would wait for the next day.
        return self.Model.objects.enabled()
