"""The reminders' tables get this app's names (tasks_reminder →
reminders_reminder, …), and their content types follow them, so that
permissions, admin log entries and history keep pointing at the same rows."""

from django.db import migrations

MODELS = [
    "holidayyear",
    "workdayoverride",
    "historicalholidayyear",
    "historicalworkdayoverride",
    "sweeprun",
    "reminder",
]


def move_content_types(apps, schema_editor, *, old, new):
    ContentType = apps.get_model("contenttypes", "ContentType")
    db = schema_editor.connection.alias
    taken = set(ContentType.objects.using(db).filter(app_label=new, model__in=MODELS).values_list("model", flat=True))
    ContentType.objects.using(db).filter(app_label=old, model__in=set(MODELS) - taken).update(app_label=new)


def forwards(apps, schema_editor):
    move_content_types(apps, schema_editor, old="tasks", new="reminders")


def backwards(apps, schema_editor):
    move_content_types(apps, schema_editor, old="reminders", new="tasks")


class Migration(migrations.Migration):
    dependencies = [
        ("contenttypes", "0002_remove_content_type_name"),
        ("reminders", "0001_initial"),
    ]

    operations = [
        *[migrations.AlterModelTable(name=name, table=None) for name in MODELS],
        migrations.RunPython(forwards, backwards),
    ]
