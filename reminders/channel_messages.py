"""What the channels say: the DingTalk markdown digest (title, the items
with days late, links via SITE_URL, cut to the robot's size) and the SMS
template's parameters (one short message, never a list). Which notices SMS
carries: `sms_wanted`."""

import datetime as dt
from collections import Counter

from django.conf import settings
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _

from tasks.templatetags.portal import cn_date

from . import dingtalk
from .digests import DIGEST_ORDER
from .models import Reminder
from .workdays import WorkdayCalendar, local_date

Reason = Reminder.Reason
TASK_TEXT_CHARS = 40
SMS_PARAM_CHARS = 20  # a template variable takes at most 35 characters; names are cut at 20


def _link(path: str) -> str:
    return f"{settings.SITE_URL}{path}"


def _order(reminder: Reminder) -> tuple:
    """The most pressing first, as in the e-mail digest (a reason the digest
    does not order, or a notice about no task, last)."""
    rank = DIGEST_ORDER.index(reminder.reason) if reminder.reason in DIGEST_ORDER else len(DIGEST_ORDER)
    if reminder.task_id is None:
        return (rank, dt.date.max, 0, reminder.pk)
    return (rank, reminder.task.due_date, reminder.task.indicator.position, reminder.pk)


def _when(reminder: Reminder, today: dt.date) -> str:
    due = reminder.task.due_date
    if reminder.reason == Reason.REPORT_MISSING:
        return _("本月尚未报送进展")
    if due < today:
        return _("%(date)s截止，已逾期 %(days)d 天") % {"date": cn_date(due), "days": (today - due).days}
    return _("%(date)s截止，还剩 %(days)d 天") % {"date": cn_date(due), "days": (due - today).days}


def _line(reminder: Reminder, today: dt.date, *, office: bool) -> str:
    label = reminder.get_reason_display()
    if reminder.task_id is None:  # a notice about a plan: its period, its date; the link below
        due = _("%(date)s截止") % {"date": cn_date(reminder.due_date)} if reminder.due_date else ""
        note = reminder.note.replace("\n", " ")
        note = note[:80] + "…" if len(note) > 80 else note
        period = "" if reminder.reason == Reason.INSTRUCTION else reminder.period
        return " ".join(part for part in (f"- **{label}**", period, due, note) if part)
    task, indicator = reminder.task, reminder.task.indicator
    text = indicator.task_text.replace("\n", " ").replace("[", "【").replace("]", "】")
    if len(text) > TASK_TEXT_CHARS:
        text = text[:TASK_TEXT_CHARS] + "…"
    who = f"{task.unit.name} · " if office else ""
    url = _link(reverse("tasks:detail", args=[task.pk]))
    return f"- **{label}** {who}[{indicator.plan.year} · {indicator.code} {text}]({url})：{_when(reminder, today)}"


def dingtalk_message(
    reminders: list[Reminder], *, unit_name: str | None, today: dt.date, mobiles: list[str]
) -> tuple[dict, int]:
    """The robot's markdown payload for one unit (or, `unit_name` None, the
    reform office's escalations), the most pressing first; and how many
    items the size limit left out (counted, with the link)."""
    office = unit_name is None
    ordered = sorted(reminders, key=_order)
    with translation.override(settings.LANGUAGE_CODE):
        who = _("跑改办") if office else unit_name
        title = _("【改革任务提醒】%(who)s") % {"who": who}
        totals = Counter(r.reason for r in reminders)
        summary = "，".join(
            _("%(label)s %(count)d 项") % {"label": Reason(reason).label, "count": totals[reason]}
            for reason in dict.fromkeys(r.reason for r in ordered)
        )
        header = f"#### {title}\n\n" + _("截至%(date)s：%(summary)s") % {
            "date": cn_date(today),
            "summary": summary,
        }
        header += "\n"
        lines = [_line(r, today, office=office) for r in ordered]
        full_list = reverse("reminders:notice_log") if office else reverse("reminders:notices")
        if office and {r.reason for r in reminders} == {Reason.ESCALATION}:
            full_list += f"?reason={Reason.ESCALATION}"
        url = _link(full_list)

        def footer(left: int) -> str:
            if left:
                return "\n" + _("还有 %(count)d 项，见系统：[%(url)s](%(url)s)") % {"count": left, "url": url}
            return "\n" + _("在系统中查看：[%(url)s](%(url)s)") % {"url": url}

        mention_bytes = sum(len(m) + 2 for m in mobiles) + 2
        text, left = dingtalk.cut(header, lines, footer, limit=dingtalk.MAX_MARKDOWN_BYTES - mention_bytes)
    return dingtalk.markdown_payload(title=title, text=text, mobiles=mobiles), left


def report_sms_day(report_day: int, month_start: dt.date, calendar: WorkdayCalendar) -> dt.date:
    """The day a month's report-missing notice goes by SMS: the plan's report
    day if it is a working day, else the first working day after it (the
    daily sweep records the notice on the first working day from the report
    day on; see docs/reminders.md)."""
    day = month_start.replace(day=report_day)
    while not calendar.is_workday(day):
        day += dt.timedelta(days=1)
    return day


def sms_wanted(reminder: Reminder, calendar: WorkdayCalendar) -> bool:
    """SMS is for what needs it (REMINDER_SMS_REASONS): by default
    escalations (to the reform office) and a month's report-missing notice
    issued on its day (`report_sms_day`; a task added later in the month
    gets the portal, the e-mail and the robot, not an SMS)."""
    if reminder.reason not in settings.REMINDER_SMS_REASONS:
        return False
    if reminder.reason == Reason.REPORT_MISSING:
        issued = local_date(reminder.remind_after)
        plan = reminder.task.indicator.plan
        return issued == report_sms_day(plan.report_day, issued.replace(day=1), calendar)
    return True


def sms_params(reminders: list[Reminder], *, unit_name: str | None) -> dict:
    """The template's parameters: who, how many, what (template:
    ``${unit}：有${count}项改革任务${kind}，请登录系统处理。``)."""
    with translation.override(settings.LANGUAGE_CODE):
        who = str(_("跑改办")) if unit_name is None else unit_name
        kinds = {r.reason for r in reminders}
        kind = {
            Reason.ESCALATION: _("逾期超过15天"),
            Reason.REPORT_MISSING: _("本月尚未报送进展"),
            Reason.OVERDUE: _("已逾期"),
            Reason.DUE_SOON: _("即将到期"),
        }.get(kinds.pop() if len(kinds) == 1 else "", _("待处理"))
        return {"unit": who[:SMS_PARAM_CHARS], "count": str(len(reminders)), "kind": str(kind)}
