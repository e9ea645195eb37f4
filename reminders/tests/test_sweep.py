"""The reminder sweep, step by step and whole, with frozen time over the 2019
plan. No Celery: the steps and `sweep()` are called directly."""

import datetime as dt

import time_machine
from django.conf import settings
from django.core import mail

from departments.models import Membership, Unit
from reminders import delivery, lock, sweep, workdays
from reminders.models import Reminder, WorkdayOverride
from tasks.models import Task
from tasks.tests.helpers import report, review

from .helpers import at, make_task, notices, sweep_at, unit_of_mail

Reason = Reminder.Reason
D = dt.date


def tasks_due(label: str):
    return Task.objects.filter(indicator__deadline_label=label, is_active=True)


def july_tasks():
    return tasks_due("7月底")


# Overdue at the end of July


def test_it_sends_each_unit_of_the_july_items_one_overdue_notice_each_at_the_month_end(
    plan_2019, contacts, mailoutbox
):
    sweep_at(at(2019, 7, 31))  # the last daily sweep of July
    mailoutbox.clear()
    before = set(Reminder.objects.values_list("pk", flat=True))

    result = sweep_at(at(2019, 8, 1, 0, 10), month_end=True)

    new = Reminder.objects.exclude(pk__in=before).filter(remind_after__lte=at(2019, 8, 1, 0, 10))
    expected = sorted((task.pk, "overdue", "2019-07-31#0") for task in july_tasks())
    assert sorted(new.values_list("task_id", "reason", "period")) == expected
    # Their first repeats wait a week.
    repeats = Reminder.objects.exclude(pk__in=before).exclude(pk__in=new)
    assert {(r.period, r.remind_after) for r in repeats} == {("2019-07-31#1", at(2019, 8, 8, 0, 0))}
    assert len(expected) > 50  # the July items reach every 区级部门
    assert result.found == {"overdue": len(expected)}
    # One digest per unit of the July items, and nobody else gets one.
    july_units = set(july_tasks().values_list("unit_id", flat=True))
    assert sorted(unit_of_mail(m).pk for m in mailoutbox) == sorted(july_units)
    assert all(r.sent_at for r in new)


def test_it_sends_nothing_more_when_the_month_end_sweep_runs_again(plan_2019, contacts, mailoutbox):
    sweep_at(at(2019, 7, 31))
    sweep_at(at(2019, 8, 1, 0, 10), month_end=True)
    mailoutbox.clear()
    count = Reminder.objects.count()

    sweep_at(at(2019, 8, 1, 0, 10), month_end=True)
    sweep_at(at(2019, 8, 1, 0, 40), month_end=True)

    assert Reminder.objects.count() == count
    assert mailoutbox == []


def test_it_catches_up_every_overdue_item_on_the_first_sweep_ever(plan_2019, contacts, mailoutbox):
    sweep_at(at(2019, 8, 1, 0, 10), month_end=True)

    overdue = Task.objects.filter(due_date__lt=D(2019, 8, 1))
    assert set(overdue.values_list("indicator__deadline_label", flat=True)) == {
        "4月底",
        "6月底",
        "7月底",
    }
    assert notices(reason="overdue") == sorted((t.pk, "overdue", f"{t.due_date}#0") for t in overdue)
    # Still one digest per unit.
    assert len(mailoutbox) == len(set(overdue.values_list("unit_id", flat=True)))


def test_it_runs_the_month_end_sweep_on_a_holiday_but_not_the_daily_one(units, contacts, mailoutbox):
    task = make_task(due=D(2019, 12, 31))
    assert sweep_at(at(2020, 1, 1)).skipped == "not a working day"  # New Year's Day
    assert notices() == []

    sweep_at(at(2020, 1, 1, 0, 10), month_end=True)

    assert notices() == [(task.pk, "overdue", "2019-12-31#0")]
    assert len(mailoutbox) == 1


def test_it_sends_a_leap_day_deadline_overdue_on_the_first_of_march(units, contacts, mailoutbox):
    task = make_task(due=D(2020, 2, 29), label="2月底")
    sweep_at(at(2020, 2, 28, 23, 59), month_end=True)
    assert notices() == []

    sweep_at(at(2020, 3, 1, 0, 10), month_end=True)  # a Sunday

    assert notices() == [(task.pk, "overdue", "2020-02-29#0")]
    assert "2020年2月29日" in mailoutbox[0].body


def test_it_repeats_an_overdue_notice_every_seven_days_while_overdue(units, contacts, mailoutbox, staff):
    task = make_task(due=D(2019, 7, 31))
    sent_on = []
    for day in range(1, 23):  # 1–22 August, daily sweeps on working days
        moment = at(2019, 8, day)
        before = len(mailoutbox)
        sweep_at(moment)
        if len(mailoutbox) > before:
            sent_on.append(day)
    assert sent_on == [1, 8, 15, 22]
    assert [p for _, _, p in notices(reason="overdue", sent_at__isnull=False)] == [
        "2019-07-31#0",
        "2019-07-31#1",
        "2019-07-31#2",
        "2019-07-31#3",
    ]
    # The next repeat waits for its moment; verifying the task drops it.
    task.status = Task.Status.COMPLETED
    task.save()
    review(task, _office(), "verified")
    sweep_at(at(2019, 8, 29))
    assert len(mailoutbox) == 4
    assert Reminder.objects.get(period="2019-07-31#4").void_reason == "任务已核实办结"


def _office():
    from django.contrib.auth import get_user_model

    return get_user_model().objects.create_user("reviewer", "reviewer@example.com")


def test_it_waits_for_the_next_working_day_when_a_repeat_falls_on_a_day_off(units, contacts, mailoutbox):
    make_task(due=D(2019, 9, 30))
    sweep_at(at(2019, 10, 1, 0, 10), month_end=True)  # National Day: #0 goes out
    for day in range(2, 10):
        sweep_at(at(2019, 10, day))
    # The repeat was due on the 8th, the first working day after the holiday.
    assert len(mailoutbox) == 2
    assert workdays.local_date(Reminder.objects.get(period="2019-09-30#1").sent_at) == D(2019, 10, 8)


# Due soon


def test_it_finds_the_july_items_due_soon_five_working_days_ahead(plan_2019, contacts, mailoutbox):
    sweep_at(at(2019, 7, 23))
    assert notices(reason="due_soon") == []  # 31 July is 6 working days away

    sweep_at(at(2019, 7, 24))

    assert notices(reason="due_soon") == sorted((t.pk, "due_soon", "2019-07-31") for t in july_tasks())
    sweep_at(at(2019, 7, 25))
    assert Reminder.objects.filter(reason="due_soon").count() == july_tasks().count()  # once per due date


def test_it_counts_the_national_day_holiday_out_of_a_due_soon_deadline(units, contacts, mailoutbox):
    task = make_task(due=D(2019, 10, 10), label="10月10日")
    sweep_at(at(2019, 9, 26))
    assert notices(reason="due_soon") == []  # 6 working days: 27, 29 (Sunday, worked), 30 Sep, 8, 9, 10 Oct

    sweep_at(at(2019, 9, 27))

    assert notices(reason="due_soon") == [(task.pk, "due_soon", "2019-10-10")]
    assert "还有 13 天" in mailoutbox[-1].body


def test_it_sweeps_on_the_make_up_working_days_and_not_in_the_holiday(units, contacts):
    make_task(due=D(2019, 10, 31))
    assert sweep_at(at(2019, 9, 29)).ran  # a Sunday, worked
    assert sweep_at(at(2019, 10, 12)).ran  # a Saturday, worked
    assert sweep_at(at(2019, 10, 3)).skipped == "not a working day"
    assert sweep_at(at(2019, 10, 13)).skipped == "not a working day"


def test_it_finds_a_year_end_deadline_due_soon_over_christmas(units, contacts):
    task = make_task(due=D(2019, 12, 31), label="全年", ongoing=True)
    sweep_at(at(2019, 12, 23))
    assert notices(reason="due_soon") == []
    sweep_at(at(2019, 12, 24))
    assert notices(reason="due_soon") == [(task.pk, "due_soon", "2019-12-31")]


def test_it_uses_the_plans_own_number_of_working_days(units, contacts):
    task = make_task(due=D(2019, 7, 31))
    task.indicator.plan.due_soon_days = 2
    task.indicator.plan.save()
    sweep_at(at(2019, 7, 26))
    assert notices(reason="due_soon") == []
    sweep_at(at(2019, 7, 29))
    assert notices(reason="due_soon") == [(task.pk, "due_soon", "2019-07-31")]


def test_it_does_not_say_due_soon_to_a_unit_that_reported_it_completed(units, contacts, staff):
    task = make_task(due=D(2019, 7, 31))
    with time_machine.travel(at(2019, 7, 20), tick=False):
        report(task, staff, status=Task.Status.COMPLETED, percent=100)
    sweep_at(at(2019, 7, 24))
    assert notices(reason="due_soon") == []


def test_it_lets_the_admins_overrides_decide_the_working_days(units, contacts):
    task = make_task(due=D(2019, 7, 31))
    WorkdayOverride.objects.create(date=D(2019, 7, 27), is_workday=True, note="调休上班")  # a Saturday
    sweep_at(at(2019, 7, 24))
    assert notices(reason="due_soon") == []  # 25, 26, 27, 29, 30, 31: six working days away
    WorkdayOverride.objects.create(date=D(2019, 7, 25), is_workday=False, note="放假")
    assert sweep_at(at(2019, 7, 25)).skipped == "not a working day"
    sweep_at(at(2019, 7, 26))
    assert notices(reason="due_soon") == [(task.pk, "due_soon", "2019-07-31")]


def test_it_falls_back_to_monday_to_friday_for_an_unknown_year_without_failing(units, contacts, mailoutbox):
    task = make_task(due=D(2099, 1, 9))
    result = sweep_at(at(2099, 1, 2))  # a Friday; 5, 6, 7, 8, 9 Jan: 5 weekdays
    assert result.ran
    assert result.fallback_years == {2099}
    assert notices() == [(task.pk, "due_soon", "2099-01-09")]
    assert len(mailoutbox) == 1


# Monthly report missing


def test_it_chases_every_open_task_without_a_report_this_month_from_the_25th(plan_2019, contacts, staff):
    reported = Task.objects.get(unit__name="区数管局", indicator__code="8")
    ongoing = Task.objects.get(unit__name="区数管局", indicator__code="3")  # 全年
    assert ongoing.indicator.ongoing
    with time_machine.travel(at(2019, 7, 2), tick=False):
        report(reported, staff)
    sweep_at(at(2019, 7, 24))
    assert notices(reason="report_missing") == []

    sweep_at(at(2019, 7, 25))

    missing = notices(reason="report_missing")
    assert (ongoing.pk, "report_missing", "2019-07") in missing
    assert reported.pk not in {task_id for task_id, _, _ in missing}
    assert len(missing) == Task.objects.count() - 1


def test_it_does_not_count_last_months_report(units, contacts, staff):
    task = make_task(due=D(2019, 12, 31))
    with time_machine.travel(at(2019, 6, 28), tick=False):
        report(task, staff)
    sweep_at(at(2019, 7, 25))
    assert notices(reason="report_missing") == [(task.pk, "report_missing", "2019-07")]
    sweep_at(at(2019, 8, 26))
    assert [p for *_, p in notices(reason="report_missing")] == ["2019-07", "2019-08"]


def test_it_leaves_completed_and_verified_tasks_out_of_the_monthly_chase(units, contacts):
    make_task(due=D(2019, 12, 31), code="1", status=Task.Status.COMPLETED)
    make_task(due=D(2019, 12, 31), code="2", status=Task.Status.VERIFIED)
    returned = make_task(due=D(2019, 12, 31), code="3", status=Task.Status.RETURNED)
    sweep_at(at(2019, 7, 25))
    assert notices(reason="report_missing") == [(returned.pk, "report_missing", "2019-07")]


def test_it_drops_a_report_missing_notice_once_the_report_is_in(units, contacts, staff, flaky_mail):
    task = make_task(due=D(2019, 12, 31))
    flaky_mail.failures = 1
    result = sweep_at(at(2019, 7, 25))
    assert len(result.failures) == 1
    with time_machine.travel(at(2019, 7, 25, 10), tick=False):
        report(task, staff)

    sweep_at(at(2019, 7, 26))

    assert mail.outbox == []
    assert Reminder.objects.get(task=task).void_reason == "本月已报送"


# Escalation


def test_it_escalates_items_overdue_for_more_than_15_days_to_the_reform_office(
    plan_2019, contacts, office, mailoutbox
):
    sweep_at(at(2019, 8, 1, 0, 10), month_end=True)
    sweep_at(at(2019, 8, 15))  # 15 days: not yet for the July items
    escalated_before = set(Reminder.objects.filter(reason="escalation").values_list("task_id", flat=True))
    assert not escalated_before & set(july_tasks().values_list("pk", flat=True))
    mailoutbox.clear()

    sweep_at(at(2019, 8, 16))

    new = Reminder.objects.filter(reason="escalation").exclude(task_id__in=escalated_before)
    assert sorted(new.values_list("task_id", flat=True)) == sorted(july_tasks().values_list("pk", flat=True))
    to_office = [m for m in mailoutbox if m.to == ["office@example.com"]]
    assert len(to_office) == 1  # one digest for all of them
    assert "逾期督办" in to_office[0].subject
    assert "区数管局" in to_office[0].body
    # Units never see escalations in their digests.
    assert all("逾期督办" not in m.subject for m in mailoutbox if m.to != ["office@example.com"])


# Downtime and repeats


def test_it_sends_one_catch_up_digest_per_unit_after_three_months_down(
    plan_2019, contacts, office, mailoutbox
):
    sweep_at(at(2019, 7, 1))
    mailoutbox.clear()
    before = set(Reminder.objects.values_list("pk", flat=True))

    sweep_at(at(2019, 10, 8))  # the server was down from 2 July to the end of National Day

    sent = Reminder.objects.filter(sent_at=at(2019, 10, 8))
    units_told = set(sent.exclude(reason__in=Reminder.OFFICE_REASONS).values_list("unit_id", flat=True))
    assert sent.filter(pk__in=before).exists()  # June's first repeat, scheduled for 8 July
    # One digest per unit, and one for the office.
    assert len(mailoutbox) == len(units_told) + 1
    assert len({tuple(m.to) for m in mailoutbox}) == len(mailoutbox)
    # Each task has at most one new notice per reason: the missed weekly
    # repeats of June's overdue items went out as one.
    pairs = list(sent.values_list("task_id", "reason"))
    assert len(pairs) == len(set(pairs))
    june_task = Task.objects.get(unit__name="区数管局", indicator__code="2")
    assert [p for *_, p in notices(task=june_task, reason="overdue", sent_at__isnull=False)] == [
        "2019-06-30#0",
        "2019-06-30#1",
    ]
    assert Reminder.objects.get(task=june_task, period="2019-06-30#2").remind_after == at(2019, 10, 15, 0, 0)


def test_it_sweeps_twice_without_sending_twice(plan_2019, contacts, office, mailoutbox):
    first = sweep_at(at(2019, 7, 31))
    assert len(mailoutbox) == len(first.digests) > 30
    count = Reminder.objects.count()

    second = sweep_at(at(2019, 7, 31, 8, 31))

    assert second.found == {
        "overdue": 0,
        "due_soon": 0,
        "report_missing": 0,
        "escalation": 0,
        "unowned": 0,
        "consultation": 0,
        "consultation_deemed": 0,
        "instruction": 0,
    }
    assert second.digests == []
    assert Reminder.objects.count() == count
    assert len(mailoutbox) == len(first.digests)


def test_it_skips_a_sweep_while_another_holds_the_lock(units, contacts, mailoutbox):
    make_task(due=D(2019, 7, 31))
    with lock.sweep_lock() as held:
        assert held
        assert sweep_at(at(2019, 8, 1, 0, 10), month_end=True).skipped == "another sweep is running"
    assert notices() == []
    assert sweep_at(at(2019, 8, 1, 0, 10), month_end=True).ran


# Delivery


def test_it_leaves_a_notice_unsent_when_the_mail_server_refuses_and_sends_it_next_time(
    units, contacts, flaky_mail
):
    task = make_task(due=D(2019, 7, 31))
    flaky_mail.failures = 1

    result = sweep_at(at(2019, 8, 1, 0, 10), month_end=True)

    assert [f.digest.unit.name for f in result.failures] == ["区数管局"]
    reminder = Reminder.objects.get(task=task)
    assert (reminder.sent_at, reminder.claimed_at, reminder.attempts) == (None, None, 1)
    assert "451" in reminder.last_error
    assert mail.outbox == []
    assert reminder.status(at(2019, 8, 1, 0, 10)) == "failed"

    sweep_at(at(2019, 8, 1, 8, 30))

    reminder.refresh_from_db()
    assert (reminder.attempts, reminder.last_error) == (2, "")
    assert reminder.sent_at is not None
    assert len(mail.outbox) == 1
    assert not Reminder.objects.filter(period="2019-07-31#2").exists()


def test_it_takes_over_a_claim_whose_worker_died(units, contacts, mailoutbox):
    task = make_task(due=D(2019, 7, 31))
    with time_machine.travel(at(2019, 8, 1, 0, 10), tick=False):
        sweep.find_overdue(now=at(2019, 8, 1, 0, 10))
        Reminder.objects.update(claimed_at=at(2019, 8, 1, 0, 10))  # claimed, then the worker died
        assert delivery.deliver_unit(unit_id=task.unit_id, now=at(2019, 8, 1, 0, 10)) is None
    timeout = dt.timedelta(seconds=settings.REMINDER_CLAIM_TIMEOUT_SECONDS)
    with time_machine.travel(at(2019, 8, 1, 0, 10) + timeout + dt.timedelta(seconds=1), tick=False):
        digest = delivery.deliver_unit(unit_id=task.unit_id, now=at(2019, 8, 1, 0, 10))
    assert digest and digest.sent
    assert len(mailoutbox) == 1


def test_it_records_a_unit_without_an_address_as_told_in_the_portal_only(units, mailoutbox):
    task = make_task(due=D(2019, 7, 31), unit="区法院")
    sweep_at(at(2019, 8, 1, 0, 10), month_end=True)
    reminder = Reminder.objects.get(task=task, period="2019-07-31#0")
    assert reminder.sent_at is not None
    assert reminder.recipients == ""
    assert reminder.status() == "portal"
    assert mailoutbox == []


def test_it_mails_the_units_staff_and_its_contact_address(units, contacts, staff, mailoutbox):
    Membership.objects.create(
        user=type(staff).objects.create_user("gone", "gone@example.com", is_active=False),
        unit=Unit.objects.get(name="区数管局"),
    )
    make_task(due=D(2019, 7, 31))
    sweep_at(at(2019, 8, 1, 0, 10), month_end=True)
    unit = Unit.objects.get(name="区数管局")
    assert mailoutbox[0].to == ["sgj@example.com", f"unit-{unit.pk}@units.example.com"]
    assert (
        Reminder.objects.get(period="2019-07-31#0").recipients
        == f"sgj@example.com, unit-{unit.pk}@units.example.com"
    )


def test_it_writes_the_digest_in_chinese_with_code_task_due_date_and_link(
    plan_2019, contacts, staff, mailoutbox
):
    sweep_at(at(2019, 7, 31))
    (message,) = [m for m in mailoutbox if "sgj@example.com" in m.to]
    task_1 = Task.objects.get(unit__name="区数管局", indicator__code="1")
    link = f"{settings.SITE_URL}/tasks/{task_1.pk}/"

    assert message.subject.startswith("【改革任务提醒】区数管局：已逾期 2 项，即将到期 4 项")
    assert "\n" not in message.subject
    for text in [message.body, message.alternatives[0][0]]:
        assert "指标 1" in text or ">1<" in text
        assert task_1.indicator.task_text in text
        assert "2019年7月31日" in text
        assert link in text
        assert "已逾期 31 天" in text  # indicator 2, due 30 June
        assert "7月尚未报送进展" in text
    assert message.alternatives[0][1] == "text/html"
    assert "<script" not in message.alternatives[0][0]


def test_it_escapes_task_text_in_the_html_digest(units, contacts, mailoutbox):
    task = make_task(due=D(2019, 7, 31))
    task.indicator.task_text = "<b>不要加粗</b>"
    task.indicator.save()
    sweep_at(at(2019, 8, 1, 0, 10), month_end=True)
    html = mailoutbox[0].alternatives[0][0]
    assert "&lt;b&gt;不要加粗&lt;/b&gt;" in html
    assert "<b>不要加粗</b>" in mailoutbox[0].body  # plain text stays plain


def test_it_drops_a_notice_whose_due_date_moved_before_it_went_out(units, contacts, flaky_mail):
    task = make_task(due=D(2019, 7, 31))
    flaky_mail.failures = 1
    sweep_at(at(2019, 7, 24))
    Task.objects.filter(pk=task.pk).update(due_date=D(2019, 9, 30))
    with time_machine.travel(at(2019, 7, 25), tick=False):
        assert delivery.deliver_unit(unit_id=task.unit_id, now=at(2019, 7, 25)) is None
    assert Reminder.objects.get(reason="due_soon").void_reason == "截止日期已调整"
    assert mail.outbox == []


def test_it_sweeps_the_whole_2019_plan_in_one_run(plan_2019, contacts, office, mailoutbox):
    # Its time is measured by bench/province.py, not asserted here: a loaded
    # machine is no measure of the code.
    result = sweep_at(at(2019, 7, 31))
    assert sum(result.found.values()) > 500
    assert not result.failures
    assert len(mailoutbox) == len(result.digests) > 30


def test_it_shows_a_dry_run_and_changes_nothing(plan_2019, contacts, mailoutbox):
    result = sweep_at(at(2019, 7, 31), dry_run=True)
    assert result.found["overdue"] > 0
    assert len(result.digests) > 30
    assert Reminder.objects.count() == 0
    assert mailoutbox == []


# A notice that applies again after it was voided


def test_it_sends_the_due_soon_notice_again_when_a_moved_due_date_moves_back(units, contacts, flaky_mail):
    task = make_task(due=D(2019, 7, 31))
    flaky_mail.failures = 1
    sweep_at(at(2019, 7, 24))  # due soon; the mail server refuses it
    Task.objects.filter(pk=task.pk).update(due_date=D(2019, 8, 30))
    sweep_at(at(2019, 7, 25))  # the waiting notice no longer applies
    Task.objects.filter(pk=task.pk).update(due_date=D(2019, 7, 31))  # moved back

    for day in (26, 29, 30):
        sweep_at(at(2019, 7, day))

    due_soon = Reminder.objects.filter(task=task, reason="due_soon")
    assert list(due_soon.exclude(voided_at=None).values_list("period", "void_reason")) == [
        ("2019-07-31", "截止日期已调整")
    ]
    (live,) = due_soon.filter(voided_at=None)
    assert (live.period, live.sent_at) == ("2019-07-31", at(2019, 7, 26))
    assert len([m for m in mail.outbox if "即将到期" in m.subject]) == 1


def test_it_resumes_the_overdue_notices_of_a_unit_removed_and_re_added(units, contacts):
    from indicators.models import IndicatorUnit
    from tasks.services import task_sync_plan

    task = make_task(due=D(2019, 7, 31))
    plan = task.indicator.plan
    on_indicator = IndicatorUnit.objects.get(indicator=task.indicator, unit=task.unit, role="lead")
    sweep_at(at(2019, 8, 1, 0, 10), month_end=True)  # #0; #1 scheduled for the 8th
    on_indicator.delete()
    task_sync_plan(plan=plan)  # the unit is removed from the indicator on the 2nd
    for day in (2, 5, 6, 7, 8, 9):
        sweep_at(at(2019, 8, day))
    IndicatorUnit.objects.create(indicator=task.indicator, unit=task.unit, role="lead")
    task_sync_plan(plan=plan)  # and re-added on the 12th

    day = D(2019, 8, 12)
    while day <= D(2019, 9, 6):  # four weeks of working-day sweeps
        if day.weekday() < 5:
            sweep_at(at(day.year, day.month, day.day))
        day += dt.timedelta(days=1)

    overdue = Reminder.objects.filter(task=task, reason="overdue")
    assert list(overdue.exclude(voided_at=None).values_list("period", "void_reason")) == [
        ("2019-07-31#1", "任务已停用")
    ]
    sent = overdue.filter(voided_at=None, sent_at__isnull=False).order_by("sent_at")
    assert [(r.period, workdays.local_date(r.sent_at)) for r in sent] == [
        ("2019-07-31#0", D(2019, 8, 1)),
        ("2019-07-31#1", D(2019, 8, 12)),
        ("2019-07-31#2", D(2019, 8, 19)),
        ("2019-07-31#3", D(2019, 8, 26)),
        ("2019-07-31#4", D(2019, 9, 2)),
    ]
    # One waiting repeat, the next.
    assert list(overdue.filter(voided_at=None, sent_at=None).values_list("period", flat=True)) == [
        "2019-07-31#5"
    ]


def test_it_writes_a_unit_name_as_it_is_in_the_subject_and_the_text(db, mailoutbox):
    Unit.objects.create(name="区<i>测试</i>局", contact_email="test-unit@example.com")
    make_task(due=D(2019, 7, 31), unit="区<i>测试</i>局")

    sweep_at(at(2019, 8, 1, 0, 10), month_end=True)

    (message,) = mailoutbox
    assert message.subject == "【改革任务提醒】区<i>测试</i>局：已逾期 1 项"
    assert message.body.startswith("区<i>测试</i>局：")
    assert "区&lt;i&gt;测试&lt;/i&gt;局" in message.alternatives[0][0]
