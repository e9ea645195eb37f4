"""Beat's schedule follows the jobs to their new names (tasks.jobs.* →
reminders.jobs.*). Rows an admin added or edited keep their times, kwargs
and last runs; only the name of the job they trigger changes. Workers still
answer to the old names (reminders.jobs.OLD_NAMES) for messages already
queued."""

from django.db import migrations
from django.utils import timezone

RENAMES = {
    "tasks.jobs.reminders_sweep": "reminders.jobs.reminders_sweep",
    "tasks.jobs.reminders_retry": "reminders.jobs.reminders_retry",
    "tasks.jobs.reminders_deliver_unit": "reminders.jobs.reminders_deliver_unit",
    "tasks.jobs.reminders_deliver_office": "reminders.jobs.reminders_deliver_office",
}


def rename(apps, schema_editor, *, backwards=False):
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    PeriodicTasks = apps.get_model("django_celery_beat", "PeriodicTasks")
    db = schema_editor.connection.alias
    for old, new in RENAMES.items():
        if backwards:
            old, new = new, old
        PeriodicTask.objects.using(db).filter(task=old).update(task=new)
    # Tell a running beat (DatabaseScheduler) that the schedule changed.
    PeriodicTasks.objects.using(db).update_or_create(ident=1, defaults={"last_update": timezone.now()})


class Migration(migrations.Migration):
    dependencies = [
        ("django_celery_beat", "0019_alter_periodictasks_options"),
        ("reminders", "0002_rename_tables"),
        ("tasks", "0007_reminders_move_out"),
    ]

    operations = [
        migrations.RunPython(rename, lambda apps, editor: rename(apps, editor, backwards=True)),
    ]
