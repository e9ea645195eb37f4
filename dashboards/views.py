"""The overview (进展总览) and the monthly report download, for the reform
office and the leaders. Thin views: the filters are parsed by a form, the
numbers come from dashboards.figures and .charts, the workbook from
dashboards.report.
Staff get 403 here, as on the other all-units page (tasks.views.overview)."""

import datetime as dt
import hashlib

from django.contrib.auth.decorators import login_required
from django.core.cache import cache
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse, QueryDict
from django.shortcuts import render
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.http import content_disposition_header
from django.utils.safestring import mark_safe
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from indicators.models import Plan
from indicators.selectors import plan_unowned
from tasks import access

from .asof import Scope, StatusFilter, plan_start
from .charts import dashboard_charts
from .figures import (
    OVERDUE_LIST_LIMIT,
    DashboardVersion,
    dashboard_overview,
    dashboard_version,
    plan_categories,
    plan_units,
)
from .forms import OverviewFilterForm
from .report import monthly_report_workbook, report_filename
from .targets import target_attainment

# How long a rendered overview may be served; every change to the plan's data
# makes a new cache key anyway (_cache_key).
CACHE_SECONDS = 600
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _require_reader(user) -> None:
    if not access.reads_all(user):
        raise PermissionDenied(_("只有跑改办和区领导可以查看进展总览。"))


def _plan(request, today: dt.date) -> Plan | None:
    """The plan asked for by year, else this year's, else the newest (as
    tasks.selectors.current_plan chooses): one query by year (the ORM
    compiled a preference by CASE in 1.5 ms), the newest only when neither
    year has a plan."""
    asked = request.GET.get("plan", "")
    years = [int(asked)] if asked.isdigit() and len(asked) == 4 else []
    found = {plan.year: plan for plan in Plan.objects.filter(year__in=[*years, today.year])}
    for year in [*years, today.year]:
        if year in found:
            return found[year]
    return Plan.objects.order_by("-year").first()


def _choices(plan: Plan, version: DashboardVersion | None) -> tuple[list[str], list[tuple[int, str]]]:
    """The filter's categories and units of the plan, cached with the plan's
    structure (two queries, on every computed overview otherwise): a report
    or a review does not change them."""

    def read():
        return plan_categories(plan=plan), [(unit.pk, unit.name) for unit in plan_units(plan=plan)]

    return _kept("choices", (plan.pk,), version and version.structure, read)


def _attainment(scope: Scope, version: DashboardVersion | None) -> str:
    """目标达成, rendered, cached with the plan's structure and its targets'
    newest value: the reports and reviews that carry no value leave it as
    it is (four queries, ~120 targets' rows and their rendering otherwise).
    The section shows the same to every reader (no form, no role)."""
    return _kept(
        "targets",
        (scope.plan.pk, scope.as_of, scope.category, scope.unit_id, get_language()),
        version and (version.structure, version.target_values),
        lambda: render_to_string(
            "dashboards/_targets.html", {"attainment": target_attainment(scope=scope), "scope": scope}
        ),
    )


def _kept(name: str, key: tuple, fingerprint, compute):
    """compute(), kept in the cache for CACHE_SECONDS under `key` and the
    part of the plan's fingerprint it depends on; computed every time
    without a fingerprint (the monthly report)."""
    if fingerprint is None:
        return compute()
    return cache.get_or_set(
        f"xsreform:dashboard-{name}:" + _digest((*key, fingerprint)), compute, CACHE_SECONDS
    )


def _digest(value) -> str:
    return hashlib.sha256(repr(value).encode()).hexdigest()


def _scope(
    request, *, plan: Plan, today: dt.date, version: DashboardVersion | None = None
) -> tuple[Scope, OverviewFilterForm]:
    categories, units = _choices(plan, version)
    form = OverviewFilterForm(
        request.GET,
        plans=Plan.objects.order_by("-year").values_list("year", "status"),
        plan=plan,
        categories=categories,
        units=units,
        today=today,
    )
    scope = Scope(
        plan=plan,
        as_of=form.value("as_of", form.latest),
        today=today,
        category=form.value("category", ""),
        unit_id=form.value("unit"),
        status=form.value("status", ""),
    )
    return scope, form


def _query(scope: Scope, **changes) -> str:
    values = {
        "plan": scope.plan.year,
        "as_of": "" if scope.is_current else scope.as_of.isoformat(),
        "category": scope.category,
        "unit": scope.unit_id or "",
        "status": scope.status,
    }
    values.update(changes)
    query = QueryDict(mutable=True)
    query.update({key: value for key, value in values.items() if value not in ("", None)})
    return query.urlencode()


def _body(request, *, plan: Plan | None, today: dt.date, version: DashboardVersion | None) -> str:
    """The overview's content, rendered."""
    if plan is None:
        return render_to_string("dashboards/_overview_body.html", {"scope": None}, request)
    scope, form = _scope(request, plan=plan, today=today, version=version)
    data = dashboard_overview(scope=scope, version=version)
    last_month_end = scope.as_of.replace(day=1) - dt.timedelta(days=1)
    # A plan imported after its year began: the days before show the tasks as
    # imported (dashboards.asof), and the page says so.
    imported = version.imported
    imported_on = timezone.localdate(imported) if imported and imported > plan_start(plan) else None
    context = {
        "imported_on": imported_on,
        "before_import": bool(imported_on) and scope.as_of < imported_on,
        "scope": scope,
        "form": form,
        "overview": data,
        "attainment": mark_safe(_attainment(scope, version)),  # noqa: S308 - rendered here
        "charts": dashboard_charts(data),
        "overdue_limit": OVERDUE_LIST_LIMIT,
        "status_query": {key: _query(scope, status=key) for key, _label in StatusFilter.CHOICES},
        "all_status_query": _query(scope, status=""),
        "last_month_end": last_month_end,
        "last_month_query": _query(scope, as_of=last_month_end.isoformat()),
        "today_query": _query(scope, as_of=""),
        "report_query": _query(scope, category="", unit="", status=""),
    }
    return render_to_string("dashboards/_overview_body.html", context, request)


def _cache_key(request, *, plan: Plan, today: dt.date, version: DashboardVersion) -> str:
    """The page's content depends on the query string, the day, the language,
    whether the reader is the reform office, and the plan's data, which dashboard_version fingerprints; a change to
    any of them is a new key, so nothing is ever served stale (the timeout
    only bounds what an edit outside the portal, e.g. raw SQL, could leave)."""
    query = sorted((key, value) for key, values in request.GET.lists() for value in values)
    # The office's page has tick boxes on the overdue list (催办所选), the leaders' not.
    user = getattr(request, "user", None)
    role = user is not None and access.is_reform_office(user)
    return "xsreform:dashboard:" + _digest(
        (plan.pk, plan.status, today.isoformat(), get_language(), version, query, role)
    )


@login_required
def overview(request):
    """进展总览: totals, on-time rate and the charts, as of any past day.

    The content is cached per query string and plan version (see
    _cache_key): the office and the leaders read it far more often than a
    plan's tasks change, and a cached page costs two small queries."""
    _require_reader(request.user)
    today = timezone.localdate()
    plan = _plan(request, today)
    version = dashboard_version(plan=plan) if plan else None
    key = _cache_key(request, plan=plan, today=today, version=version) if plan else None
    body = cache.get(key) if key else None
    if body is None:
        body = _body(request, plan=plan, today=today, version=version)
        if key:
            cache.set(key, body, CACHE_SECONDS)
    unowned = _unowned_panel(request, plan=plan, version=version) if plan else ""
    return render(
        request,
        "dashboards/overview.html",
        {"body": mark_safe(body), "unowned": mark_safe(unowned)},  # noqa: S308 - rendered here
    )


def _unowned_panel(request, *, plan: Plan, version: DashboardVersion) -> str:
    """Work that belongs to nobody, with links to fix it in the admin: for
    the reform office (and admins) only, cached with the plan's structure
    (not per query string, nor per report: it is the same whatever the
    filters and the progress)."""
    if not access.is_reform_office(request.user):
        return ""
    return _kept(
        "unowned",
        (plan.pk, get_language()),
        version.structure,
        lambda: render_to_string("indicators/_unowned.html", {"unowned": plan_unowned(plan=plan)}, request),
    )


@login_required
def monthly_report(request):
    """The 月度通报 workbook of the plan, as of the overview's day."""
    _require_reader(request.user)
    today = timezone.localdate()
    plan = _plan(request, today)
    if plan is None:
        raise Http404(_("还没有任何年度计划。"))
    scope, _form = _scope(request, plan=plan, today=today)
    data = monthly_report_workbook(plan=scope.plan, as_of=scope.as_of, today=scope.today)
    return HttpResponse(
        data,
        content_type=XLSX,
        headers={
            "Content-Disposition": content_disposition_header(
                True, report_filename(plan=scope.plan, as_of=scope.as_of)
            )
        },
    )
