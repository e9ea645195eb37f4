"""The 通报 download (Word) and the 通报模板 page where the reform office
edits its wording. Thin: the figures and the document come from
dashboards.bulletin, the templates' rules from dashboards.bulletin_text."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _

from tasks import access

from .asof import Scope
from .bulletin import FIGURE_NAMES, bulletin_document, bulletin_figures, bulletin_filename
from .bulletin_text import (
    Section,
    TemplateProblem,
    bulletin_paragraphs,
    bulletin_templates_reset,
    bulletin_templates_save,
    section_texts,
)
from .figures import dashboard_overview
from .forms import BulletinTemplatesForm
from .views import _plan, _query, _require_reader, _scope

DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


@login_required
def bulletin(request):
    """The 通报 of the plan as of the overview's day (the other filters do
    not apply), for whoever may download the monthly report."""
    _require_reader(request.user)
    today = timezone.localdate()
    plan = _plan(request, today)
    if plan is None:
        raise Http404(_("还没有任何年度计划。"))
    scope, _form = _scope(request, plan=plan, today=today)
    try:
        data = bulletin_document(plan=scope.plan, as_of=scope.as_of, today=today)
    except TemplateProblem as problem:
        messages.error(request, _("通报模板有误，无法生成通报：%(problem)s") % {"problem": problem})
        query = _query(scope, category="", unit="", status="")
        if access.is_reform_office(request.user):
            return redirect(reverse("dashboards:bulletin_templates") + "?" + query)
        return redirect(reverse("dashboards:overview") + "?" + query)
    return HttpResponse(
        data,
        content_type=DOCX,
        headers={
            "Content-Disposition": content_disposition_header(
                True, bulletin_filename(plan=scope.plan, as_of=scope.as_of)
            )
        },
    )


@login_required
def bulletin_templates(request):
    """通报模板: each part's wording as a template over the figures, with the
    figures of the chosen plan and day, a preview, and 恢复默认."""
    if not access.is_reform_office(request.user):
        raise PermissionDenied(_("只有跑改办可以修改通报模板。"))
    today = timezone.localdate()
    plan = _plan(request, today)
    if plan is None:
        raise Http404(_("还没有任何年度计划。"))
    scope, _form = _scope(request, plan=plan, today=today)
    scope = Scope(plan=scope.plan, as_of=scope.as_of, today=today)
    query = _query(scope)
    figures = bulletin_figures(overview=dashboard_overview(scope=scope), today=today)
    action = request.POST.get("action", "")
    if request.method == "POST" and action == "reset":
        bulletin_templates_reset(user=request.user)
        messages.success(request, _("已恢复默认模板。"))
        return redirect(request.path + "?" + query)
    form = BulletinTemplatesForm(request.POST or None, initial=section_texts(), figures=figures)
    preview = None
    if request.method == "POST" and form.is_valid():
        if action == "save":
            changed = bulletin_templates_save(texts=form.cleaned_data, user=request.user)
            messages.success(request, _("已保存通报模板（修改了 %(count)d 部分）。") % {"count": changed})
            return redirect(request.path + "?" + query)
        preview = bulletin_paragraphs(figures, form.cleaned_data)
    elif request.method == "GET":
        try:
            preview = bulletin_paragraphs(figures)
        except TemplateProblem as problem:
            messages.error(request, str(problem))
    return render(
        request,
        "dashboards/bulletin_templates.html",
        {
            "scope": scope,
            "form": form,
            "query": query,
            "preview": [(Section(key).label, preview[key]) for key in Section.values] if preview else None,
            "variables": [(name, label, figures[name]) for name, label in FIGURE_NAMES.items()],
        },
    )
