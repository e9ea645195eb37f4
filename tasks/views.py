"""The staff portal and the reform office's review. Thin views: every task
comes from tasks.access.get_task_for_user, writes go through tasks.services,
reads through tasks.selectors."""

from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from indicators.models import Plan
from indicators.selectors import consultations_open_for_units
from indicators.services import plan_close as plan_close_service

from . import access, selectors, services, signals
from .forms import ProgressReportForm, ReviewForm, TaskListFilterForm
from .models import REPORT_STATUSES, Evidence, Review, Task
from .selectors import Show
from .templatetags.portal import cn_datetime, person

OVERVIEW_PAGE_SIZE = 200


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


@login_required
def home(request):
    """Each role lands on its own page."""
    user = request.user
    if user.is_superuser:
        return redirect("admin:index")
    if access.reads_all(user):
        return redirect("dashboards:overview")
    return redirect("tasks:mine")


def _list_context(request, *, tasks, tabs):
    today = timezone.localdate()
    plans = selectors.plans_with_tasks(tasks)
    filters = TaskListFilterForm(request.GET, plans=plans, tabs=tabs)
    plan = selectors.current_plan(plans, year=filters.value("plan"), on=today)
    listing = selectors.task_list(
        tasks=tasks.for_plan(plan) if plan else tasks.none(),
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
    context["returned"] = selectors.returned_tasks(context["listing"].all_tasks)
    context["consultations"] = consultations_open_for_units(unit_ids)
    return render(request, "tasks/my_tasks.html", context)


@login_required
def overview(request):
    """Every task, for the reform office and leaders (until the dashboards)."""
    if not access.reads_all(request.user):
        raise PermissionDenied(_("只有跑改办和区领导可以查看全部任务。"))
    context = _list_context(request, tasks=access.visible_tasks(request.user), tabs=Show.OVERVIEW_TABS)
    context["page"] = Paginator(context["listing"].rows, OVERVIEW_PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "tasks/overview.html", context)


def _render_task(request, task, *, report_form=None, review_form=None, status=200):
    user = request.user
    # A closed plan (已结束) is read-only: no forms.
    running = task.indicator.plan.is_active
    can_report = running and access.can_report(user, task) and not task.is_closed
    can_review = running and access.can_review(user, task) and task.awaits_review
    timeline = selectors.task_timeline(task)
    context = {
        "task": task,
        "indicator": task.indicator,
        "today": timezone.localdate(),
        "peers": selectors.task_peers(task),
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
        report_form = ProgressReportForm(initial=_report_initial(task))
    if review_form is None and can_review:
        review_form = ReviewForm(initial={"version": task.version})
    context.update(report_form=report_form, review_form=review_form)
    return render(request, "tasks/task_detail.html", context, status=status)


def _report_initial(task):
    """Start from the latest report: most months only the text changes."""
    latest = task.progress_reports.order_by("-created_at", "-pk").first()
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
        )
        return _("进展已报送。")

    form = ProgressReportForm(request.POST, request.FILES)
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


@login_required
def evidence_download(request, pk):
    """An evidence file, to those who may read its task; 404 to everyone else."""
    evidence = get_object_or_404(Evidence.objects.select_related("report"), pk=pk)
    access.get_task_for_user(request.user, evidence.report.task_id)
    try:
        handle = evidence.file.open("rb")
    except FileNotFoundError:
        raise Http404(_("文件不存在。")) from None
    return FileResponse(
        handle, as_attachment=True, filename=evidence.download_name, content_type=evidence.content_type
    )


# The plan's year, where it needs the tasks: closing (with what is not
# verified) and carrying over. The plan's page (indicators.views) shows them
# as a panel (tasks.receivers.year_panel).


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
