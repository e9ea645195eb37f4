"""Reminder pages: a unit's notices, the reform office's notice log (with
重新发送 for an e-mail that went unconfirmed or was refused) and the manual
reminder (催办) from a task page. Thin views over reminders.selectors; the
task comes from tasks.access.get_task_for_user."""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from departments.models import Unit
from indicators.models import Plan
from tasks import access
from tasks.forms import BulkSelectionForm

from . import dingtalk, selectors, services, vault
from .forms import ChannelSettingsForm, NoticeLogFilterForm
from .models import ChannelSettings, Reminder
from .workdays import years_needing_calendar

NOTICES_PAGE_SIZE = 50
LOG_PAGE_SIZE = 100


@login_required
def notice_list(request):
    """提醒: the notices sent to the user's units. Showing them marks them read."""
    unit_ids = access.unit_ids(request.user)
    if not unit_ids:
        if access.is_reform_office(request.user):
            return redirect("reminders:notice_log")
        raise PermissionDenied(_("只有单位联络员会收到提醒。"))
    now = timezone.now()
    page = Paginator(selectors.unit_notices(unit_ids=unit_ids, now=now), NOTICES_PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    response = render(
        request,
        "reminders/notices.html",
        {"page": page, "today": timezone.localdate(), "several_units": len(unit_ids) > 1},
    )
    services.notices_mark_read(pks=[n.pk for n in page if n.read_at is None], now=now)
    return response


@login_required
def notice_log(request):
    """提醒记录: every notice, to whom, when, why and whether it went out."""
    if not access.is_reform_office(request.user):
        raise PermissionDenied(_("只有跑改办可以查看提醒记录。"))
    now = timezone.now()
    filters = NoticeLogFilterForm(request.GET)
    log = selectors.notice_log(
        now=now,
        reason=filters.value("reason", ""),
        status=filters.value("status", ""),
        search=filters.value("q", ""),
        channel=filters.value("channel", ""),
    )
    today = timezone.localdate()
    plan_years = Plan.objects.filter(year__gte=today.year).values_list("year", flat=True)
    return render(
        request,
        "reminders/notice_log.html",
        {
            "log": log,
            "page": Paginator(log.rows, LOG_PAGE_SIZE).get_page(request.GET.get("page")),
            "now": now,
            "reasons": filters.fields["reason"].choices,
            "statuses": filters.fields["status"].choices,
            "channel_statuses": filters.fields["channel"].choices,
            "channel": filters.value("channel", ""),
            "filters": filters,
            "missing_calendar_years": years_needing_calendar(today=today, plan_years=plan_years),
        },
    )


@require_POST
@login_required
def notice_resend(request, pk):
    """重新发送: the reform office sends an unconfirmed or refused e-mail again."""
    if not access.is_reform_office(request.user):
        raise PermissionDenied(_("只有跑改办可以重新发送提醒。"))
    reminder = get_object_or_404(Reminder, pk=pk)
    count = services.notices_resend(reminder=reminder, user=request.user, now=timezone.now())
    if count:
        messages.success(
            request,
            ngettext("已重新排队发送 %(count)d 条提醒。", "已重新排队发送 %(count)d 条提醒。", count)
            % {"count": count},
        )
    else:
        messages.info(request, _("这条提醒无需重新发送（已发送成功，或仍在等待邮件服务器答复）。"))
    back = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(back, allowed_hosts={request.get_host()}):
        back = reverse("reminders:notice_log")
    return redirect(back)


@require_POST
@login_required
def task_remind(request, pk):
    """催办: the reform office sends the task's unit a reminder now."""
    task = access.get_task_for_user(request.user, pk)
    if not access.is_reform_office(request.user):
        raise PermissionDenied(_("只有跑改办可以催办。"))
    if task.is_closed or not task.is_active:
        messages.error(request, _("该任务已办结或已停用，无需催办。"))
    else:
        _notice, created = services.reminder_create_manual(
            task=task, user=request.user, note=request.POST.get("note", "")
        )
        if created:
            messages.success(request, _("已向%(unit)s发出催办。") % {"unit": task.unit.name})
        else:
            messages.info(request, _("今天已催办过%(unit)s，不再重复发送。") % {"unit": task.unit.name})
    return redirect(reverse("tasks:detail", args=[task.pk]) + "#remind")


def _office_only(request) -> None:
    if not access.is_reform_office(request.user):
        raise PermissionDenied(_("只有跑改办可以设置提醒渠道。"))


@login_required
def channel_list(request):
    """提醒渠道: every unit's DingTalk robot and SMS, and the office's own."""
    _office_only(request)
    return render(
        request,
        "reminders/channels.html",
        {"rows": selectors.channel_overview(), "sms_configured": bool(settings.SMS_ACCESS_KEY_ID)},
    )


@login_required
def channel_edit(request, unit_id=None):
    """One unit's (no unit: the office's) channels: edit, and 发送测试消息."""
    _office_only(request)
    unit = get_object_or_404(Unit.objects.units(), pk=unit_id) if unit_id else None
    config = ChannelSettings.objects.filter(unit=unit, office=unit is None).first()
    if request.method == "POST" and "test" in request.POST:
        _send_test(request, config)
        return redirect(request.path)
    if request.method == "POST":
        form = ChannelSettingsForm(request.POST, config=config)
        if form.is_valid():
            services.channel_settings_update(unit=unit, data=form.cleaned_data, user=request.user)
            messages.success(
                request, _("已保存%(who)s的提醒渠道。") % {"who": unit.name if unit else _("跑改办")}
            )
            return redirect(request.path)
    else:
        initial = {"mobiles": config.mobiles} if config else {}
        if config:
            initial.update(dingtalk_enabled=config.dingtalk_enabled, sms_enabled=config.sms_enabled)
        form = ChannelSettingsForm(initial=initial, config=config)
    return render(
        request,
        "reminders/channel_edit.html",
        {
            "unit": unit,
            "config": config,
            "form": form,
            "deliveries": selectors.channel_deliveries(unit_id=unit.pk if unit else None),
            "sms_configured": bool(settings.SMS_ACCESS_KEY_ID),
        },
    )


def _send_test(request, config) -> None:
    if not (config and config.dingtalk_webhook_sealed):
        messages.error(request, _("请先填写并保存机器人 Webhook 地址。"))
        return
    try:
        answer = services.channel_send_test(config=config)
    except vault.SecretUnreadable:
        messages.error(request, _("保存的 Webhook 或密钥无法解密（密钥已更换），请重新填写。"))
    except (dingtalk.NotSent, dingtalk.NoAnswer) as error:
        messages.error(request, _("测试消息未能发出：%(error)s") % {"error": error})
    else:
        if answer.delivered:
            messages.success(request, _("测试消息已发到钉钉群。"))
        else:
            messages.error(request, _("机器人拒绝了测试消息：%(why)s") % {"why": answer.explain()})


@require_POST
@login_required
def remind_bulk(request):
    """催办所选: the reform office chases the tasks ticked on a list (全部任务,
    the overview's overdue list): one digest per unit."""
    if not access.is_reform_office(request.user):
        raise PermissionDenied(_("只有跑改办可以催办。"))
    form = BulkSelectionForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("请先勾选要催办的任务。"))
        return redirect(form.back(request))
    tasks = list(
        access.visible_tasks(request.user)
        .select_related("indicator__plan", "unit")
        .filter(pk__in=form.cleaned_data["task"])
    )
    outcome = services.reminders_create_manual_bulk(
        tasks=tasks, user=request.user, note=request.POST.get("note", "")
    )
    if outcome.created:
        messages.success(
            request,
            _("已向 %(units)d 个单位发出催办，共 %(tasks)d 项任务。")
            % {"units": len(outcome.unit_ids), "tasks": len(outcome.created)},
        )
    if outcome.already:
        messages.info(
            request,
            _("今天已催办过、不再重复发送：%(tasks)s。")
            % {"tasks": "、".join(str(t) for t in outcome.already)},
        )
    if outcome.skipped:
        messages.info(
            request,
            _("已办结或已停用、无需催办：%(tasks)s。")
            % {"tasks": "、".join(str(t) for t in outcome.skipped)},
        )
    return redirect(form.back(request))
