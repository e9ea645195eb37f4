import django.db.models.deletion
import django.utils.timezone
import simple_history.models
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    initial = True

    dependencies = [
        ('departments', '0001_initial'),
        ('tasks', '0007_reminders_move_out'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    # The models moved here from tasks (issue 9) with their tables, which this
    # migration takes over as they are (tasks/0007 drops them from tasks'
    # state); 0002 renames the tables and moves the content types.
    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name='HolidayYear',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('year', models.PositiveSmallIntegerField(unique=True, verbose_name='年度')),
                        ('note', models.CharField(blank=True, help_text='例如：国务院办公厅通知文号。', max_length=200, verbose_name='说明')),
                    ],
                    options={
                        'db_table': 'tasks_holidayyear',
                        'verbose_name': '年度节假日安排',
                        'verbose_name_plural': '年度节假日安排（已录入）',
                        'ordering': ['-year'],
                    },
                ),
                migrations.CreateModel(
                    name='WorkdayOverride',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('date', models.DateField(unique=True, verbose_name='日期')),
                        ('is_workday', models.BooleanField(help_text='勾选为上班（含调休上班），不勾选为放假。', verbose_name='工作日')),
                        ('note', models.CharField(blank=True, max_length=100, verbose_name='说明')),
                    ],
                    options={
                        'db_table': 'tasks_workdayoverride',
                        'verbose_name': '工作日调整',
                        'verbose_name_plural': '工作日调整（节假日日历）',
                        'ordering': ['-date'],
                    },
                ),
                migrations.CreateModel(
                    name='HistoricalHolidayYear',
                    fields=[
                        ('id', models.BigIntegerField(auto_created=True, blank=True, db_index=True, verbose_name='ID')),
                        ('year', models.PositiveSmallIntegerField(db_index=True, verbose_name='年度')),
                        ('note', models.CharField(blank=True, help_text='例如：国务院办公厅通知文号。', max_length=200, verbose_name='说明')),
                        ('history_id', models.AutoField(primary_key=True, serialize=False)),
                        ('history_date', models.DateTimeField(db_index=True)),
                        ('history_change_reason', models.CharField(max_length=100, null=True)),
                        ('history_type', models.CharField(choices=[('+', 'Created'), ('~', 'Changed'), ('-', 'Deleted')], max_length=1)),
                        ('history_user', models.ForeignKey(null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
                    ],
                    options={
                        'db_table': 'tasks_historicalholidayyear',
                        'verbose_name': 'historical 年度节假日安排',
                        'verbose_name_plural': 'historical 年度节假日安排（已录入）',
                        'ordering': ('-history_date', '-history_id'),
                        'get_latest_by': ('history_date', 'history_id'),
                    },
                    bases=(simple_history.models.HistoricalChanges, models.Model),
                ),
                migrations.CreateModel(
                    name='HistoricalWorkdayOverride',
                    fields=[
                        ('id', models.BigIntegerField(auto_created=True, blank=True, db_index=True, verbose_name='ID')),
                        ('date', models.DateField(db_index=True, verbose_name='日期')),
                        ('is_workday', models.BooleanField(help_text='勾选为上班（含调休上班），不勾选为放假。', verbose_name='工作日')),
                        ('note', models.CharField(blank=True, max_length=100, verbose_name='说明')),
                        ('history_id', models.AutoField(primary_key=True, serialize=False)),
                        ('history_date', models.DateTimeField(db_index=True)),
                        ('history_change_reason', models.CharField(max_length=100, null=True)),
                        ('history_type', models.CharField(choices=[('+', 'Created'), ('~', 'Changed'), ('-', 'Deleted')], max_length=1)),
                        ('history_user', models.ForeignKey(null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
                    ],
                    options={
                        'db_table': 'tasks_historicalworkdayoverride',
                        'verbose_name': 'historical 工作日调整',
                        'verbose_name_plural': 'historical 工作日调整（节假日日历）',
                        'ordering': ('-history_date', '-history_id'),
                        'get_latest_by': ('history_date', 'history_id'),
                    },
                    bases=(simple_history.models.HistoricalChanges, models.Model),
                ),
                migrations.CreateModel(
                    name='SweepRun',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('kind', models.CharField(choices=[('daily', '每日扫描'), ('month_end', '月底逾期扫描')], max_length=16, verbose_name='类型')),
                        ('period', models.DateField(help_text='每日扫描为当天，月底逾期扫描为当月1日。', verbose_name='周期')),
                        ('as_of', models.DateTimeField(verbose_name='扫描时点')),
                        ('started_at', models.DateTimeField(default=django.utils.timezone.now, verbose_name='开始时间')),
                        ('finished_at', models.DateTimeField(blank=True, null=True, verbose_name='结束时间')),
                        ('recorded', models.JSONField(blank=True, default=dict, verbose_name='新增提醒')),
                    ],
                    options={
                        'db_table': 'tasks_sweeprun',
                        'verbose_name': '提醒扫描',
                        'verbose_name_plural': '提醒扫描记录',
                        'ordering': ['-started_at'],
                        'constraints': [models.UniqueConstraint(fields=('kind', 'period'), name='sweep_run_once_per_period')],
                    },
                ),
                migrations.CreateModel(
                    name='Reminder',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('reason', models.CharField(choices=[('due_soon', '即将到期'), ('overdue', '已逾期'), ('report_missing', '本月未报送进展'), ('escalation', '逾期督办'), ('manual', '催办')], max_length=16, verbose_name='原因')),
                        ('period', models.CharField(max_length=32, verbose_name='周期')),
                        ('due_date', models.DateField(help_text='发出提醒时任务的截止日期。', verbose_name='截止日期')),
                        ('remind_after', models.DateTimeField(verbose_name='应发时间')),
                        ('created_at', models.DateTimeField(default=django.utils.timezone.now, verbose_name='创建时间')),
                        ('claim_token', models.UUIDField(blank=True, editable=False, null=True)),
                        ('claimed_at', models.DateTimeField(blank=True, null=True, verbose_name='领取时间')),
                        ('attempts', models.PositiveSmallIntegerField(default=0, verbose_name='发送次数')),
                        ('sent_at', models.DateTimeField(blank=True, help_text='邮件服务器接收的时间；单位没有邮箱时为站内送达时间。', null=True, verbose_name='发送时间')),
                        ('recipients', models.TextField(blank=True, verbose_name='收件人')),
                        ('sending_at', models.DateTimeField(blank=True, null=True, verbose_name='开始发送时间')),
                        ('unconfirmed', models.BooleanField(default=False, help_text='邮件正文已发出，但没有收到服务器的确认（超时或连接中断）：服务器可能已收到，不自动重发。', verbose_name='未确认')),
                        ('failed_at', models.DateTimeField(blank=True, help_text='服务器以 5xx 永久拒收：收件人地址不变就不再自动重发。', null=True, verbose_name='永久失败时间')),
                        ('refusals', models.JSONField(blank=True, default=dict, verbose_name='拒收的收件人')),
                        ('message_id', models.CharField(blank=True, max_length=200, verbose_name='邮件 Message-ID')),
                        ('last_error', models.TextField(blank=True, verbose_name='最近错误')),
                        ('retry_after', models.DateTimeField(blank=True, help_text='到此时仍未发出，系统将再次尝试发送。', null=True, verbose_name='重试时间')),
                        ('voided_at', models.DateTimeField(blank=True, null=True, verbose_name='取消时间')),
                        ('void_reason', models.CharField(blank=True, max_length=100, verbose_name='取消原因')),
                        ('read_at', models.DateTimeField(blank=True, null=True, verbose_name='已读时间')),
                        ('note', models.TextField(blank=True, verbose_name='催办说明')),
                        ('sent_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='催办人')),
                        ('task', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='reminders', to='tasks.task', verbose_name='任务')),
                        ('unit', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='reminders', to='departments.unit', verbose_name='单位')),
                    ],
                    options={
                        'db_table': 'tasks_reminder',
                        'verbose_name': '提醒',
                        'verbose_name_plural': '提醒记录',
                        'ordering': ['-remind_after', '-pk'],
                        'indexes': [models.Index(condition=models.Q(('sent_at', None), ('voided_at', None)), fields=['unit', 'remind_after'], name='reminder_pending'), models.Index(condition=models.Q(('read_at', None), ('voided_at', None)), fields=['unit', 'remind_after'], name='reminder_unread'), models.Index(fields=['-remind_after'], name='reminder_log'), models.Index(condition=models.Q(('retry_after__isnull', False), ('sent_at', None), ('voided_at', None)), fields=['retry_after'], name='reminder_retry')],
                        'constraints': [models.UniqueConstraint(condition=models.Q(('voided_at', None)), fields=('task', 'reason', 'period'), name='reminder_once_per_period_live')],
                    },
                ),
    ]
        ),
    ]
