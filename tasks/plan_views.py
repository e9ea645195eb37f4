"""The plan's year where it needs the tasks: closing (the confirmation lists
what is not verified) and carrying over (结转). The plan's page
(indicators.views) shows them as a panel (tasks.receivers.year_panel)."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from indicators.models import Plan
from indicators.services import plan_close as plan_close_service

from . import access, services


def _office_plan(request, year) -> Plan:
    if not access.is_reform_office(request.user):
        raise PermissionDenied(_("只有跑改办或管理员可以改变计划的状态。"))
    return get_object_or_404(Plan, year=year)


@login_required
def plan_close(request, year):
    """结束本年度: the confirmation lists what is not verified; POST closes."""
    plan = _office_plan(request, year)
    if request.method == "POST" and request.POST.get("confirm") == str(plan.year):
        try:
            plan_close_service(plan=plan, user=request.user)
        except ValidationError as error:
            for message in error.messages:
                messages.error(request, message)
        else:
            messages.success(
                request, _("%(year)s年度计划已结束：只读，仍在总览和导出中。") % {"year": plan.year}
            )
        return redirect("plans:detail", year=plan.year)
    unfinished = services.plan_unfinished(plan)
    return render(
        request,
        "tasks/plan_close.html",
        {"plan": plan, "tasks": unfinished["tasks"], "indicators": unfinished["indicators"]},
    )


@require_POST
@login_required
def plan_carry_over(request, year):
    plan = _office_plan(request, year)
    try:
        new_plan = services.plan_carry_over(plan=plan, user=request.user)
    except ValidationError as error:
        for message in error.messages:
            messages.error(request, message)
        return redirect("plans:detail", year=plan.year)
    messages.success(
        request,
        _("已结转：%(year)s年度计划草案包含 %(count)s 项未完成的指标。")
        % {"year": new_plan.year, "count": new_plan.indicators.count()},
    )
    return redirect("plans:detail", year=new_plan.year)
