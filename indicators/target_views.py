"""The office's page of a plan's targets (目标核对): every proposal with its
quote, confirmed, corrected, deleted or restored here — each through
indicators.target_services, with who and when in the history. The reform
office (and admins) act; leaders read."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from departments.roles import is_leader, is_reform_office

from . import selectors, target_services
from .forms import TargetFilterForm, TargetForm
from .models import Plan, Target


def _require_reader(user) -> None:
    if not (is_reform_office(user) or is_leader(user)):
        raise PermissionDenied(_("只有跑改办和区领导可以查看目标。"))


def _require_office(user) -> None:
    if not is_reform_office(user):
        raise PermissionDenied(_("只有跑改办或管理员可以确认和修改目标。"))


@login_required
def targets_current(request):
    """目标核对 in the navigation: the newest plan's targets."""
    _require_reader(request.user)
    plan = Plan.objects.order_by("-year").first()
    if plan is None:
        return redirect("plans:list")
    return redirect("plans:targets", year=plan.year)


@login_required
def target_list(request, year):
    _require_reader(request.user)
    plan = get_object_or_404(Plan, year=year)
    filters = TargetFilterForm(request.GET)
    status = filters.chosen_status()
    targets, counts = selectors.plan_targets(plan, status=status)
    context = {
        "plan": plan,
        "targets": targets,
        "counts": [(value, label, counts.get(value, 0)) for value, label in Target.Status.choices],
        "total": sum(counts.values()),
        "filters": filters,
        "status": status,
        "can_act": is_reform_office(request.user),
    }
    return render(request, "indicators/targets.html", context)


ACTIONS = {
    "confirm": (target_services.target_confirm, gettext_lazy("已确认：各单位可报送此目标的数值。")),
    "delete": (target_services.target_delete, gettext_lazy("已删除：重新导入时不再建议。")),
    "restore": (target_services.target_restore, gettext_lazy("已恢复为建议。")),
}


def _target(year, pk) -> Target:
    return get_object_or_404(Target.objects.select_related("indicator"), pk=pk, indicator__plan__year=year)


def _back(request, target: Target) -> str:
    status = TargetFilterForm(request.POST).chosen_status() if "status" in request.POST else ""
    query = f"?status={status}" if status else ""
    return reverse("plans:targets", args=[target.indicator.plan.year]) + query + f"#target-{target.pk}"


@require_POST
@login_required
def target_act(request, year, pk, action):
    """Confirm, delete or restore one target."""
    _require_office(request.user)
    target = _target(year, pk)
    service, done = ACTIONS[action]
    if service(targets=Target.objects.filter(pk=target.pk), user=request.user):
        messages.success(request, done)
    return redirect(_back(request, target))


@require_POST
@login_required
def target_edit(request, year, pk):
    _require_office(request.user)
    target = _target(year, pk)
    form = TargetForm(request.POST)
    if not form.is_valid():
        for field, errors in form.errors.items():
            label = form.fields[field].label if field in form.fields else ""
            for error in errors:
                messages.error(request, f"{label}：{error}" if label else error)
        return redirect(_back(request, target))
    try:
        target_services.target_update(target=target, user=request.user, **form.cleaned_data)
    except ValidationError as error:
        for message in error.messages:
            messages.error(request, message)
    else:
        messages.success(request, _("目标已修改。"))
    return redirect(_back(request, target))
