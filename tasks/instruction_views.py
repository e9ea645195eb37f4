"""批示 pages: leaders and the reform office write an instruction from a
task page (on the task or its whole indicator) or a unit's page, and read
every instruction with its units' replies; the units answer from their
home or the task page. Thin views over tasks.instructions."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from departments.models import Unit

from . import access, instructions
from .forms import InstructionFilterForm, InstructionForm, InstructionReplyForm
from .models import Instruction


def _next(request, default: str) -> str:
    """Back where the form was, if that is a page of this site."""
    back = request.POST.get("next", "")
    if back and url_has_allowed_host_and_scheme(back, allowed_hosts={request.get_host()}):
        return back
    return default


def _errors(form) -> str:
    return " ".join(str(error) for errors in form.errors.values() for error in errors)


@require_POST
@login_required
def instruction_create(request):
    """写批示: on a task (or, scope "indicator", its whole indicator) or on a
    unit. Leaders and the office only."""
    if not instructions.can_instruct(request.user):
        raise PermissionDenied(_("只有区领导和跑改办可以写批示。"))
    form = InstructionForm(request.POST)
    subject, back = {}, reverse("tasks:instructions")
    if form.is_valid() and form.cleaned_data["task"]:
        task = access.get_task_for_user(request.user, form.cleaned_data["task"])
        back = reverse("tasks:detail", args=[task.pk]) + "#instructions"
        if form.cleaned_data["scope"] == "indicator":
            subject["indicator"] = task.indicator
        else:
            subject["task"] = task
    elif form.is_valid() and form.cleaned_data["unit"]:
        subject["unit"] = get_object_or_404(Unit.objects.units(), pk=form.cleaned_data["unit"])
    back = _next(request, back)
    if not form.is_valid():
        messages.error(request, _("批示没有保存：%(errors)s") % {"errors": _errors(form)})
        return redirect(back)
    try:
        instructions.instruction_create(
            user=request.user,
            text=form.cleaned_data["text"],
            reply_due=form.cleaned_data["reply_due"],
            **subject,
        )
    except ValidationError as error:
        messages.error(request, _("批示没有保存：%(errors)s") % {"errors": " ".join(error.messages)})
    else:
        messages.success(request, _("批示已发出，相关单位将在首页看到并回复。"))
    return redirect(back)


@require_POST
@login_required
def instruction_reply(request, pk):
    """回复批示: staff of a unit concerned. An instruction that concerns none
    of the user's units is a 404, as if it did not exist."""
    if access.reads_all(request.user):
        raise PermissionDenied(_("区领导和跑改办不回复批示。"))
    instruction = get_object_or_404(instructions.with_subjects(Instruction.objects.all()), pk=pk)
    form = InstructionReplyForm(request.POST)
    mine = set(access.unit_ids(request.user)) & set(instructions.concerned_unit_ids(instruction))
    if not mine:
        raise Http404(_("没有找到该批示。"))
    back = _next(request, reverse("tasks:mine") + "#instructions")
    if not form.is_valid():
        messages.error(request, _("回复没有提交：%(errors)s") % {"errors": _errors(form)})
        return redirect(back)
    if form.cleaned_data["unit"] not in mine:
        raise Http404(_("没有找到该批示。"))
    try:
        instructions.instruction_reply(
            instruction=instruction,
            unit=Unit.objects.get(pk=form.cleaned_data["unit"]),
            user=request.user,
            text=form.cleaned_data["text"],
        )
    except ValidationError as error:
        messages.error(request, _("回复没有提交：%(errors)s") % {"errors": " ".join(error.messages)})
    else:
        messages.success(request, _("已回复批示。"))
    return redirect(back)


@login_required
def instruction_list(request):
    """批示 for the reform office and leaders: every instruction with its
    units and their replies; 逾期未回复 lists those past their deadline that
    a unit has not answered."""
    if not access.reads_all(request.user):
        raise PermissionDenied(_("只有跑改办和区领导可以查看全部批示。"))
    filters = InstructionFilterForm(request.GET)
    today = timezone.localdate()
    overdue = filters.value("show") == "overdue"
    return render(
        request,
        "tasks/instructions.html",
        {
            "filters": filters,
            "overdue": overdue,
            "rows": instructions.instruction_list(today=today, overdue_only=overdue),
            "today": today,
            "units": Unit.objects.units().order_by("name"),
            "form": InstructionForm(),
            "can_instruct": instructions.can_instruct(request.user),
        },
    )
