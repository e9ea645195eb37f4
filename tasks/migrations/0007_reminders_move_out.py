
from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ('tasks', '0006_reminder_sweep'),
    ]

    # The reminders moved to their own app (issue 9). Their tables stay as
    # they are here: reminders/0001 takes them over under their old names and
    # reminders/0002 renames them. This only drops them from tasks' state.
    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.RemoveField(
                    model_name='historicalholidayyear',
                    name='history_user',
                ),
                migrations.RemoveField(
                    model_name='historicalworkdayoverride',
                    name='history_user',
                ),
                migrations.DeleteModel(
                    name='HolidayYear',
                ),
                migrations.RemoveField(
                    model_name='reminder',
                    name='sent_by',
                ),
                migrations.RemoveField(
                    model_name='reminder',
                    name='task',
                ),
                migrations.RemoveField(
                    model_name='reminder',
                    name='unit',
                ),
                migrations.DeleteModel(
                    name='SweepRun',
                ),
                migrations.DeleteModel(
                    name='WorkdayOverride',
                ),
                migrations.DeleteModel(
                    name='HistoricalHolidayYear',
                ),
                migrations.DeleteModel(
                    name='HistoricalWorkdayOverride',
                ),
                migrations.DeleteModel(
                    name='Reminder',
                ),
    ]
        ),
    ]
