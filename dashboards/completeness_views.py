"""报送完整率 pages: a month for the reform office and leaders (table, chart,
workbook), and a unit's year for its own staff (and the readers). Thin
views over dashboards.completeness."""

import datetime as dt

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.utils import timezone
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _

from departments.models import Unit
from indicators.models import Plan
from indicators.xlsx import WHOLE, WHOLE_PERCENT, Sheet, in_site_language, percent, write_workbook
from tasks import access, instructions
from tasks.templatetags.portal import cn_date
from xsreform.dates import month_text

from .completeness import completeness_month, completeness_year, plan_months
from .forms import CompletenessFilterForm

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _month_figures(request, today: dt.date):
    """The plan and month asked for (defaults: this year's plan, this month)."""
    if not access.reads_all(request.user):
        raise PermissionDenied(_("只有跑改办和区领导可以查看报送完整率。"))
    plans = list(Plan.objects.order_by("-year"))
    years = [(p.year, p.status) for p in plans]
    probe = CompletenessFilterForm(request.GET, plans=years, plan=None, months=[])
    by_year = {plan.year: plan for plan in plans}
    plan = by_year.get(probe.value("plan")) or by_year.get(today.year) or (plans[0] if plans else None)
    months = plan_months(plan=plan, today=today) if plan else []
    form = CompletenessFilterForm(request.GET, plans=years, plan=plan, months=months)
    if not months:
        return plan, None, form
    asked = {month.month: month for month in months}.get(form.value("month"))
    month = asked or months[-1]
    return plan, completeness_month(plan=plan, month=month, today=today), form


@login_required
def completeness(request):
    """报送完整率: for a month, which units reported on every open task."""
    today = timezone.localdate()
    plan, figures, form = _month_figures(request, today)
    chart = None
    if figures:
        chart = {
            "names": [unit.name for unit in figures.units],
            "rates": [unit.rate for unit in figures.units],
            "ids": [unit.unit_id for unit in figures.units],
            "label": _("报送完整率"),
        }
    context = {"plan": plan, "figures": figures, "form": form, "chart": chart, "today": today}
    return render(request, "dashboards/completeness.html", context)


@in_site_language
def _completeness_workbook(*, plan, figures) -> bytes:
    """The month's table and the definitions, in Chinese (numbers as numbers)."""
    caption = _("%(title)s %(month)d月报送完整率（统计至%(date)s）") % {
        "title": plan.title,
        "month": figures.month.month,
        "date": cn_date(figures.as_of),
    }
    headers = [_("单位"), _("待报送任务"), _("已报送"), _("未报送"), _("完整率"), _("是否全部报送")]
    rows = [
        [
            unit.name,
            unit.open,
            unit.reported,
            unit.missing,
            percent(unit.rate),
            _("是") if unit.complete else _("否"),
        ]
        for unit in figures.units
    ]
    rows.append(
        [
            _("合计"),
            figures.open,
            figures.reported,
            figures.open - figures.reported,
            percent(figures.rate),
            "",
        ]
    )
    notes = [
        [_("待报送任务"), _("该月月底（本月为今天）仍在计划中、尚未核实办结的任务。")],
        [_("已报送"), _("该月内（北京时间）至少报送过一次进展的待报送任务。")],
        [_("完整率"), _("已报送 ÷ 待报送任务，向下取整。")],
    ]
    return write_workbook(
        [
            Sheet(
                title=_("报送完整率"),
                caption=caption,
                headers=headers,
                rows=rows,
                widths=[28, 12, 10, 10, 12, 14],
                formats=[None, WHOLE, WHOLE, WHOLE, WHOLE_PERCENT, None],
            ),
            Sheet(
                title=_("统计口径"),
                caption=caption,
                headers=[_("项目"), _("说明")],
                rows=notes,
                widths=[16, 80],
            ),
        ]
    )


@login_required
def completeness_export(request):
    """The month's table as a workbook (numbers as numbers)."""
    today = timezone.localdate()
    plan, figures, _form = _month_figures(request, today)
    if figures is None:
        raise Http404(_("该年度还没有可统计的月份。"))
    content = _completeness_workbook(plan=plan, figures=figures)
    filename = f"报送完整率-{plan.year}-{figures.month.month:02d}.xlsx"
    return HttpResponse(
        content,
        content_type=XLSX,
        headers={"Content-Disposition": content_disposition_header(True, filename)},
    )


@login_required
def unit_completeness(request, pk=None):
    """本单位报送情况: a unit's completeness month by month over the year —
    the user's own units (no pk), or the unit given, for its staff and for
    the reform office and leaders; 404 for anyone else."""
    user = request.user
    if pk is None:
        units = list(Unit.objects.filter(pk__in=access.unit_ids(user)).order_by("name"))
        if not units:
            raise PermissionDenied(_("您的账号还没有关联单位。"))
    else:
        if not (access.reads_all(user) or int(pk) in access.unit_ids(user)):
            raise Http404(_("没有找到该单位。"))
        units = [get_object_or_404(Unit.objects.units(), pk=pk)]
    today = timezone.localdate()
    plans = list(Plan.objects.order_by("-year"))
    asked = request.GET.get("plan", "")
    by_year = {str(plan.year): plan for plan in plans}
    plan = by_year.get(asked) or by_year.get(str(today.year)) or (plans[0] if plans else None)
    years = completeness_year(plan=plan, units=units, today=today) if plan else []
    chart = {
        "months": [month_text(month, year=month.year) for month in plan_months(plan=plan, today=today)]
        if plan
        else [],
        "series": [
            {"name": year.unit.name, "data": [row.rate if row else None for _month, row in year.months]}
            for year in years
        ],
        "label": _("报送完整率"),
    }
    context = {
        "plan": plan,
        "plans": plans,
        "years": years,
        "chart": chart,
        "today": today,
        "own": pk is None,
        # 批示: leaders and the office write to the unit from its page.
        "instruct_unit": units[0] if pk is not None and instructions.can_instruct(user) else None,
    }
    return render(request, "dashboards/unit_completeness.html", context)
