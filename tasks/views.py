"""The staff portal and the reform office's review. Thin views: every task
comes from tasks.access.get_task_for_user, writes go through tasks.services,
reads through tasks.selectors."""

from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse, reverse_lazy
from django.utils import timezone
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from indicators.selectors import consultations_open_for_units

from . import access, exports, instructions, selectors, services, signals, target_values
from .forms import (
    AllTasksFilterForm,
    BulkSelectionForm,
    ExtensionDecisionForm,
    ExtensionRequestForm,
    InstructionForm,
    ProgressReportForm,
    ReviewForm,
    TaskListFilterForm,
)
from .models import REPORT_STATUSES, ProgressReport, Review, Task
from .selectors import Show
from .templatetags.portal import cn_datetime, person

OVERVIEW_PAGE_SIZE = 50


class LoginView(auth_views.LoginView):
    redirect_authenticated_user = True

    def form_valid(self, form):
        response = super().form_valid(form)
        user = form.get_user()
        messages.success(
            self.request, _("欢迎，%(name)s。") % {"name": user.get_full_name() or user.username}
        )
        return response


class LogoutView(auth_views.LogoutView):
    def post(self, request, *args, **kwargs):
        response = super().post(request, *args, **kwargs)
        # Added after the session is flushed: the message travels in the messages cookie.
        messages.info(request, _("您已安全退出。"))
        return response


class PasswordChangeView(auth_views.PasswordChangeView):
    """修改密码: anyone signed in changes their own password in the portal's
    layout (the admin keeps its own page). The session stays signed in."""

    template_name = "tasks/password_change.html"
    success_url = reverse_lazy("home")

    def form_valid(self, form):
        response = super().form_valid(form)
        messages.success(self.request, _("密码已修改，下次登录请使用新密码。"))
        return response


@login_required
def home(request):
    """Each role lands on its own page."""
    user = request.user
    if user.is_superuser:
        return redirect("admin:index")
    if access.reads_all(user):
        return redirect("dashboards:overview")
    return redirect("tasks:mine")


def _list_context(request, *, tasks, tabs, overview: bool = False):
    today = timezone.localdate()
    plans = selectors.plans_with_tasks(tasks)
    if overview:
        filters = AllTasksFilterForm(request.GET, plans=plans, tabs=tabs, units=selectors.units_of(tasks))
    else:
        filters = TaskListFilterForm(request.GET, plans=plans, tabs=tabs)
    plan = selectors.current_plan(plans, year=filters.value("plan"), on=today)
    planned = tasks.for_plan(plan) if plan else tasks.none()
    if overview:
        planned = filters.narrow(planned)
    listing = selectors.task_list(
        tasks=planned,
        on=today,
        show=filters.value("show", ""),
        search=filters.value("q", ""),
        tabs=tabs,
    )
    return {
        "today": today,
        "plans": plans,
        "plan": plan,
        "filters": filters,
        "listing": listing,
        "tabs": [(tab, Show.LABELS[tab], listing.counts[tab]) for tab in tabs],
    }


@login_required
def my_tasks(request):
    """本单位任务: every task of the user's units."""
    unit_ids = access.unit_ids(request.user)
    context = _list_context(
        request, tasks=access.visible_tasks(request.user).for_units(unit_ids), tabs=Show.STAFF_TABS
    )
    context["several_units"] = len(unit_ids) > 1
    context["returned"] = selectors.returned_tasks(context["listing"])
    context["consultations"] = consultations_open_for_units(unit_ids)
    context["open_instructions"] = instructions.open_instructions(unit_ids=unit_ids)
    return render(request, "tasks/my_tasks.html", context)


def _overview_context(request):
    if not access.reads_all(request.user):
        raise PermissionDenied(_("只有跑改办和区领导可以查看全部任务。"))
    return _list_context(
        request, tasks=access.visible_tasks(request.user), tabs=Show.OVERVIEW_TABS, overview=True
    )


@login_required
def overview(request):
    """全部任务: every task, for the reform office and leaders, filtered by
    tab, search, unit, role, status and month due; the office selects rows
    to 催办 or 核实 them at once."""
    context = _overview_context(request)
    context["page"] = Paginator(context["listing"].rows, OVERVIEW_PAGE_SIZE).get_page(request.GET.get("page"))
    context["selectable"] = access.is_reform_office(request.user)
    return render(request, "tasks/overview.html", context)


@login_required
def overview_export(request):
    """The filtered 全部任务 list as a workbook, every row (no pages)."""
    context = _overview_context(request)
    plan = context["plan"]
    content = exports.task_list_workbook(
        rows=context["listing"].rows, today=context["today"], title=str(plan) if plan else ""
    )
    response = HttpResponse(content, content_type=exports.XLSX_TYPE)
    filename = exports.task_list_filename(plan=plan, today=context["today"])
    response["Content-Disposition"] = content_disposition_header(as_attachment=True, filename=filename)
    return response


@require_POST
@login_required
def review_bulk(request):
    """核实所选: the office verifies several completed tasks at once, all or
    none (tasks.services.task_review_bulk)."""
    if not access.is_reform_office(request.user):
        raise PermissionDenied(_("只有跑改办可以审核。"))
    form = BulkSelectionForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("请先勾选要核实的任务。"))
        return redirect(form.back(request))
    selected = form.cleaned_data["task"]
    tasks = {
        t.pk: t
        for t in access.visible_tasks(request.user)
        .select_related("indicator__plan", "unit")
        .filter(pk__in=selected)
    }
    try:
        reviews = services.task_review_bulk(
            selections=[(tasks.get(pk), version, pk) for pk, version in selected.items()], user=request.user
        )
    except services.BulkReviewError as error:
        messages.error(
            request,
            _("没有核实任何任务：%(failures)s。请刷新后只勾选单位报送为已完成的任务。")
            % {"failures": "；".join(error.failures)},
        )
    else:
        messages.success(
            request,
            ngettext("已核实办结 %(count)d 项任务。", "已核实办结 %(count)d 项任务。", len(reviews))
            % {"count": len(reviews)},
        )
    return redirect(form.back(request))


def _render_task(request, task, *, report_form=None, review_form=None, status=200):
    user = request.user
    today = timezone.localdate()
    # A closed plan (已结束) is read-only: no forms.
    running = task.indicator.plan.is_active
    can_report = running and access.can_report(user, task) and not task.is_closed
    can_review = running and access.can_review(user, task) and task.awaits_review
    peers = selectors.task_peers(task)
    timeline = selectors.task_timeline(task, selectors.task_reports(task, peers))
    targets = target_values.task_targets(task)
    own_report = next((e.item for e in timeline if e.kind == "report"), None)  # the latest
    # 牵头汇总: the lead unit reads its partners' parts; the office and
    # leaders see every unit's part, this task's included.
    leads = access.leads(user, task)
    consolidation = None
    if leads or access.reads_all(user):
        consolidation = selectors.task_consolidation(
            task, peers, on=today, with_own=not leads, own_report=own_report
        )
    context = {
        "task": task,
        "indicator": task.indicator,
        "today": today,
        "peers": peers,
        "consolidation": consolidation,
        "leads": leads,
        "targets": targets,
        "target_charts": [t.chart() for t in targets if t.series],
        "timeline": timeline,
        "last_return": next(
            (e.item for e in timeline if e.kind == "review" and e.item.decision == Review.Decision.RETURNED),
            None,
        ),
        "changes": selectors.task_changes(task),
        "can_report": can_report,
        "can_review": can_review,
        "panels": signals.panels_for(task=task, request=request),
        "origin_task": selectors.task_origin(task),
    }
    if report_form is None and can_report:
        report_form = ProgressReportForm(initial=_report_initial(task, own_report))
    if report_form is not None and not hasattr(report_form, "targets"):
        report_form.offer_targets([t.target for t in targets], today=today)
    if report_form is not None and leads and consolidation:
        report_form.offer_partner_evidence(consolidation.evidence)
    # 批示: on the task, its indicator and its unit, with this unit's answer.
    instruction_rows = instructions.task_instructions(task)
    if report_form is not None:
        report_form.offer_instructions(instructions.open_for_task(task, instruction_rows))
    context.update(
        instruction_items=[(row, row.answer_of(task.unit_id)) for row in instruction_rows],
        can_answer=running and access.can_report(user, task),
        instruction_form=InstructionForm() if running and instructions.can_instruct(user) else None,
    )
    if review_form is None and can_review:
        review_form = ReviewForm(initial={"version": task.version})
    context.update(report_form=report_form, review_form=review_form)
    # 延期申请: the unit asks while none waits; the office decides one that waits.
    requests = selectors.task_extension_requests(task)
    waiting = next((r for r in requests if r.status == r.Status.PENDING), None)
    context.update(
        extensions=requests,
        extension_waiting=waiting,
        extension_form=ExtensionRequestForm() if can_report and not waiting else None,
        decision_form=ExtensionDecisionForm()
        if running and waiting and access.is_reform_office(user)
        else None,
    )
    return render(request, "tasks/task_detail.html", context, status=status)


def _report_initial(task, latest: ProgressReport | None):
    """Start from the latest report: most months only the text changes."""
    return {
        "version": task.version,
        "status": task.status if task.status in REPORT_STATUSES else Task.Status.IN_PROGRESS,
        "percent": latest.percent if latest else 0,
    }


@login_required
def task_detail(request, pk):
    task = access.get_task_for_user(request.user, pk)
    return _render_task(request, task)


def _conflict(request, form, error: services.TaskConflict) -> None:
    """Tell the user who got there first; keep what they typed."""
    current = error.task
    last = current.history.select_related("history_user").order_by("-history_id").first()
    messages.error(
        request,
        _(
            "保存冲突：您打开本页之后，%(who)s 于 %(when)s 更新了该任务（%(what)s），"
            "您刚才提交的内容没有保存。您填写的内容已保留在表单中，请先查看最新记录再决定是否重新提交。"
        )
        % {
            "who": person(last.history_user) if last else _("他人"),
            "when": cn_datetime(last.history_date) if last else "",
            "what": (last.history_change_reason if last else "") or current.get_status_display(),
        },
    )
    if request.FILES:
        form.add_error(None, _("附件没有上传：请重新选择文件。"))
    form.rebase(current.version)


def _submit(request, task, form, *, form_name: str, save, error_field: str, failed: str):
    """A form posted on a task's page: valid, it goes to `save` (a service
    call that returns the success message) and the user returns to the
    history. Someone else's change in between answers 409 with the task as
    it is now and the form as typed; a ValidationError is shown at
    `error_field` when its code names that field, above the form otherwise."""
    if form.is_valid():
        try:
            saved = save(form.cleaned_data)
        except services.TaskConflict as error:
            _conflict(request, form, error)
            current = access.get_task_for_user(request.user, task.pk)
            return _render_task(request, current, **{form_name: form}, status=409)
        except ValidationError as error:
            form.add_error(error_field if error.code == error_field else None, error)
        else:
            messages.success(request, saved)
            return redirect(reverse("tasks:detail", args=[task.pk]) + "#history")
    messages.error(request, failed)
    return _render_task(request, task, **{form_name: form})


@require_POST
@login_required
def report_create(request, pk):
    task = access.get_task_for_user(request.user, pk, write=True)
    if not access.can_report(request.user, task):
        raise PermissionDenied(_("只有本单位联络员可以报送进展。"))

    def save(data) -> str:
        services.progress_report_create(
            task=task,
            user=request.user,
            expected_version=data["version"],
            status=data["status"],
            percent=data["percent"],
            progress=data["progress"],
            problems=data["problems"],
            next_steps=data["next_steps"],
            files=data["files"],
            referenced_evidence=data["referenced_evidence"],
            target_values=form.target_values(),
            instruction=form.chosen_instruction(),
        )
        if form.chosen_instruction():
            return _("进展已报送，并作为本单位对批示的回复。")
        return _("进展已报送。")

    form = ProgressReportForm(request.POST, request.FILES)
    form.offer_targets(target_values.confirmed_targets(task), today=timezone.localdate())
    form.offer_instructions(instructions.open_for_task(task))
    return _submit(
        request,
        task,
        form,
        form_name="report_form",
        save=save,
        error_field="percent",
        failed=_("报送没有保存，请按提示修改。"),
    )


@require_POST
@login_required
def task_review(request, pk):
    task = access.get_task_for_user(request.user, pk, write=True)
    if not access.can_review(request.user, task):
        raise PermissionDenied(_("只有跑改办可以审核。"))

    def save(data) -> str:
        review = services.task_review(
            task=task,
            user=request.user,
            decision=data["decision"],
            reason=data["reason"],
            expected_version=data["version"],
        )
        if review.decision == review.Decision.VERIFIED:
            return _("已核实办结。")
        return _("已退回，单位将看到退回理由。")

    form = ReviewForm(request.POST)
    return _submit(
        request,
        task,
        form,
        form_name="review_form",
        save=save,
        error_field="reason",
        failed=_("审核没有保存，请按提示修改。"),
    )
