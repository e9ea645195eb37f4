"""The plan's pages: thin views over indicators.selectors and
indicators.services. Who may: the reform office (and admins) act; leaders
read; a unit's staff answer the consultations that name their unit. The
roles come from departments.roles (this app imports nothing above it)."""

from urllib.parse import quote, urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from departments.roles import is_leader, is_reform_office

from . import consultations, selectors, services
from .forms import NOTICE_TEMPLATE, AnswerForm, ConsultationOpenForm, DecisionForm, FeedbackFilterForm
from .models import Consultation, ConsultationAnswer, Indicator, Plan
from .signals import plan_panels

# The feedback table's answers per page, as 全部任务 (a county's plan has ~1,000).
FEEDBACK_PAGE_SIZE = 50


def _require_reader(user) -> None:
    if not (is_reform_office(user) or is_leader(user)):
        raise PermissionDenied(_("只有跑改办和区领导可以查看年度计划。"))


def _require_office(user) -> None:
    if not is_reform_office(user):
        raise PermissionDenied(_("只有跑改办或管理员可以改变计划的状态。"))


def _plan(year) -> Plan:
    return get_object_or_404(Plan, year=year)


@login_required
def plan_list(request):
    """年度计划: every plan with its status, newest first."""
    _require_reader(request.user)
    return render(request, "indicators/plan_list.html", {"plans": selectors.plan_list()})


@login_required
def plan_detail(request, year):
    """The plan's page: its status and key dates, and the office's actions."""
    _require_reader(request.user)
    plan = _plan(year)
    context = {
        "plan": plan,
        "changes": selectors.plan_status_changes(plan),
        "indicator_count": plan.indicators.count(),
        "can_act": is_reform_office(request.user),
        "panels": plan_panels(plan=plan, request=request),
        "consultation": Consultation.objects.filter(plan=plan).first(),
        # Work that belongs to nobody, with links to fix it in the admin.
        "unowned": selectors.plan_unowned(plan=plan) if is_reform_office(request.user) else None,
    }
    if plan.status == Plan.Status.DRAFT:
        context["open_form"] = ConsultationOpenForm(
            initial={"message": NOTICE_TEMPLATE.format(title=plan.title, deadline=_("（截止日期）"))}
        )
    return render(request, "indicators/plan_detail.html", context)


def _done(request, plan: Plan, action, success: str):
    """Run a service on the plan; its refusal is shown on the plan's page."""
    try:
        action()
    except ValidationError as error:
        for message in error.messages:
            messages.error(request, message)
    else:
        messages.success(request, success)
    return redirect("plans:detail", year=plan.year)


@require_POST
@login_required
def plan_adopt(request, year):
    _require_office(request.user)
    plan = _plan(year)
    return _done(
        request,
        plan,
        lambda: services.plan_adopt(plan=plan, user=request.user),
        _("%(year)s年度计划已通过执行：任务已生成，各单位已收到通知。") % {"year": plan.year},
    )


# The consultation (征求意见)


@require_POST
@login_required
def consultation_open(request, year):
    _require_office(request.user)
    plan = _plan(year)
    form = ConsultationOpenForm(request.POST)
    if not form.is_valid():
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, error)
        return redirect("plans:detail", year=plan.year)
    return _done(
        request,
        plan,
        lambda: services.plan_consultation_open(
            plan=plan,
            user=request.user,
            deadline=form.cleaned_data["deadline"],
            message=form.cleaned_data["message"],
        ),
        _("已向各单位征求意见。"),
    )


def _consultation(plan: Plan) -> Consultation:
    consultation = Consultation.objects.filter(plan=plan).select_related("plan").first()
    if consultation is None:
        raise Http404(_("该计划没有征求意见。"))
    return consultation


def _answering_unit(request, consultation: Consultation):
    """The unit whose answers the page shows: one of the user's units that
    the consultation asks (?unit= when there are several); 404 otherwise."""
    asked = selectors.consultation_user_units(consultation, request.user)
    if not asked:
        raise Http404(_("本单位不在该计划的征求意见范围内。"))
    wanted = request.POST.get("unit") or request.GET.get("unit")
    return next((u for u in asked if str(u.pk) == wanted), asked[0]), asked


@login_required
def consultation_detail(request, year):
    """A unit's consultation page: the notice, its items with its answers,
    the whole plan, and (after the deadline) the office's replies."""
    plan = _plan(year)
    consultation = _consultation(plan)
    if is_reform_office(request.user) and not selectors.consultation_user_units(consultation, request.user):
        return redirect("plans:feedback", year=plan.year)
    unit, units = _answering_unit(request, consultation)
    today = timezone.localdate()
    context = {
        "plan": plan,
        "consultation": consultation,
        "unit": unit,
        "units": units,
        "page": selectors.consultation_for_unit(consultation, unit),
        "open": consultation.accepts_answers(today),
        "today": today,
        "kinds": AnswerForm.base_fields["kind"].choices,
    }
    return render(request, "indicators/consultation.html", context)


@require_POST
@login_required
def consultation_answer(request, year):
    plan = _plan(year)
    consultation = _consultation(plan)
    unit, _units = _answering_unit(request, consultation)
    form = AnswerForm(request.POST)
    back = f"{reverse('plans:consultation', args=[plan.year])}?unit={unit.pk}"
    if not form.is_valid():
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, error)
        return redirect(back)
    data = form.cleaned_data
    indicator = None
    if data["indicator"]:
        indicator = Indicator.objects.filter(plan=plan, pk=data["indicator"]).first()
        if indicator is None:
            messages.error(request, _("没有找到该指标。"))
            return redirect(back)
    try:
        consultations.consultation_answer(
            consultation=consultation,
            unit=unit,
            user=request.user,
            indicator=indicator,
            kind=data["kind"],
            text=data["text"],
            proposed_due_date=data["proposed_due_date"],
            proposed_units=data["proposed_units"],
        )
    except ValidationError as error:
        for message in error.messages:
            messages.error(request, message)
    else:
        messages.success(request, _("反馈已保存；截止日期前可以修改。"))
    return redirect(back + (f"#item-{indicator.pk}" if indicator else "#whole-plan"))


@login_required
def feedback(request, year):
    """The office's table of the units' answers: item × unit, filtered by
    kind, with counts and the units yet to answer; ?format=xlsx exports it."""
    _require_reader(request.user)
    plan = _plan(year)
    consultation = _consultation(plan)
    filters = FeedbackFilterForm(request.GET)
    table = selectors.consultation_feedback(consultation, kind=filters.chosen_kind())
    if request.GET.get("format") == "xlsx":
        response = HttpResponse(
            selectors.consultation_feedback_xlsx(table, plan),
            content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        )
        name = f"{plan.year}-征求意见反馈.xlsx"
        response["Content-Disposition"] = f"attachment; filename*=UTF-8''{quote(name)}"
        return response
    context = {
        "plan": plan,
        "consultation": consultation,
        "filters": filters,
        "table": table,
        "page": Paginator(table.answers, FEEDBACK_PAGE_SIZE).get_page(request.GET.get("page")),
        "can_act": is_reform_office(request.user) and not plan.is_closed,
    }
    return render(request, "indicators/feedback.html", context)


def _feedback_page_of(answer: ConsultationAnswer, *, plan: Plan, kind: str) -> str:
    """The feedback table's page showing `answer`, under the filter the
    office decided from (if it still shows it), scrolled to it."""
    kind = kind if kind == answer.kind else ""
    rows = selectors.consultation_feedback(answer.consultation, kind=kind).answers
    position = next((n for n, pk in enumerate(rows.values_list("pk", flat=True)) if pk == answer.pk), 0)
    params = {"kind": kind} if kind else {}
    if position >= FEEDBACK_PAGE_SIZE:
        params["page"] = position // FEEDBACK_PAGE_SIZE + 1
    query = f"?{urlencode(params)}" if params else ""
    return reverse("plans:feedback", args=[plan.year]) + query + f"#answer-{answer.pk}"


@require_POST
@login_required
def feedback_decide(request, year, pk):
    _require_office(request.user)
    plan = _plan(year)
    answer = get_object_or_404(ConsultationAnswer, pk=pk, consultation__plan=plan)
    form = DecisionForm(request.POST)
    back = _feedback_page_of(answer, plan=plan, kind=request.POST.get("kind", ""))
    if not form.is_valid():
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, error)
        return redirect(back)
    try:
        consultations.consultation_decide(
            answer=answer,
            user=request.user,
            decision=form.cleaned_data["decision"],
            reply=form.cleaned_data["reply"],
        )
    except ValidationError as error:
        for message in error.messages:
            messages.error(request, message)
    else:
        messages.success(request, _("处理结果已保存，单位将看到答复。"))
    return redirect(back)
