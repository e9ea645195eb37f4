"""延期申请 pages: a unit's staff ask on the task page, the reform office
decides there or from the list of waiting requests. Thin views over
tasks.extensions; the task comes from tasks.access."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from . import access, extensions
from .forms import ExtensionDecisionForm, ExtensionRequestForm
from .models import ExtensionRequest
from .templatetags.portal import cn_date


def _back(task) -> str:
    return reverse("tasks:detail", args=[task.pk]) + "#extensions"


@require_POST
@login_required
def extension_create(request, pk):
    task = access.get_task_for_user(request.user, pk, write=True)
    form = ExtensionRequestForm(request.POST, request.FILES)
    if not form.is_valid():
        messages.error(request, _("延期申请没有提交：%(errors)s") % {"errors": _errors(form)})
        return redirect(_back(task))
    try:
        extensions.extension_request_create(
            task=task,
            user=request.user,
            requested_due_date=form.cleaned_data["requested_due_date"],
            reason=form.cleaned_data["reason"],
            files=form.cleaned_data["files"],
        )
    except ValidationError as error:
        messages.error(request, _("延期申请没有提交：%(errors)s") % {"errors": " ".join(error.messages)})
    else:
        messages.success(request, _("延期申请已提交，等待跑改办审批。"))
    return redirect(_back(task))


@require_POST
@login_required
def extension_decide(request, pk):
    extension = get_object_or_404(ExtensionRequest, pk=pk)
    task = access.get_task_for_user(request.user, extension.task_id, write=True)
    if not access.is_reform_office(request.user):
        raise PermissionDenied(_("只有跑改办可以审批延期申请。"))
    form = ExtensionDecisionForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("审批没有保存：%(errors)s") % {"errors": _errors(form)})
        return redirect(_back(task))
    approve = form.cleaned_data["decision"] == "approve"
    try:
        decided = extensions.extension_decide(
            extension=extension,
            user=request.user,
            approve=approve,
            due_date=form.cleaned_data["due_date"],
            comment=form.cleaned_data["comment"],
        )
    except ValidationError as error:
        messages.error(request, _("审批没有保存：%(errors)s") % {"errors": " ".join(error.messages)})
    else:
        if approve:
            messages.success(
                request,
                _("已批准延期，截止日期改为%(date)s。") % {"date": cn_date(decided.approved_due_date)},
            )
        else:
            messages.success(request, _("已不批准该延期申请，单位将看到审批意见。"))
    back = request.POST.get("next", "")
    return redirect(back if back == reverse("tasks:extensions") else _back(task))


@login_required
def extension_list(request):
    """待审批的延期申请, for the reform office (and, read only, leaders)."""
    if not access.reads_all(request.user):
        raise PermissionDenied(_("只有跑改办和区领导可以查看延期申请。"))
    waiting = (
        ExtensionRequest.objects.filter(status=ExtensionRequest.Status.PENDING)
        .select_related("task__indicator", "task__unit", "requested_by")
        .prefetch_related("evidence")
        .order_by("created_at", "pk")
    )
    decided = (
        ExtensionRequest.objects.exclude(status=ExtensionRequest.Status.PENDING)
        .select_related("task__indicator", "task__unit", "requested_by", "decided_by")
        .order_by("-decided_at", "-pk")[:50]
    )
    return render(
        request,
        "tasks/extensions.html",
        {"waiting": waiting, "decided": decided, "form": ExtensionDecisionForm()},
    )


def _errors(form) -> str:
    return " ".join(str(error) for errors in form.errors.values() for error in errors)
