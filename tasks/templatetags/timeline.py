"""The task page's long lists: 报送与审核记录 (every report and review,
newest first), 变更记录 (the task's and its indicator's history) and
牵头汇总's reports (each unit's latest on the indicator).

Joined here rather than rendered by template loops: a task reported on every
month for a year has ~40 entries in each, and rendering each through the
template engine (nested ifs and withs, a badge, a person, a moment, its
files) took 3 of the page's 7 ms of template time for the reports, and
3.3 ms for the changes of a task reported on 77 times; joined here each
takes under one. 牵头汇总's ~15 units' reports took 3.1 ms of template.
Every text goes through escape_text; the rest are numbers, our markup and
URLs built from integers."""

from django import template
from django.template.defaultfilters import filesizeformat
from django.utils.safestring import SafeString, mark_safe
from django.utils.text import Truncator
from django.utils.translation import gettext as _

from tasks.models import Review
from tasks.selectors import Change, Consolidation, TimelineEntry

from .portal import cn_datetime, escape_text, label, person, status_badge, url_with_id

register = template.Library()


@register.simple_tag
def timeline(entries: list[TimelineEntry]) -> SafeString:
    if not entries:
        return mark_safe(f'<p class="text-body-secondary small">{escape_text(_("还没有报送记录。"))}</p>')  # noqa: S308
    urls = _file_urls()
    words = _words(report=_("进展报送"), review=_("跑改办审核"), referenced=_("引用配合单位的佐证材料"))
    parts = [
        _report(entry.item, entry.quoted, urls, words)
        if entry.kind == "report"
        else _review(entry.item, words)
        for entry in entries
    ]
    return mark_safe("\n".join(parts))  # noqa: S308 - every text through escape_text


def _file_urls(**more) -> dict[str, str]:
    return {
        "download": url_with_id("tasks:evidence"),
        "preview": url_with_id("tasks:evidence_preview"),
        **more,
    }


def _words(**more) -> dict[str, str]:
    """A report's words in the active language, escaped once for a list."""
    words = {
        "preview": _("预览"),
        "progress": _("进展情况"),
        "problems": _("存在问题"),
        "next_steps": _("下步计划"),
        "evidence": _("佐证材料"),
        **more,
    }
    return {key: escape_text(word) for key, word in words.items()}


def _texts(report, urls, words) -> list[str]:
    """A report's <dt>/<dd> pairs: its texts and its files."""
    texts = [f'<dt>{words["progress"]}</dt><dd class="prewrap">{escape_text(report.progress)}</dd>']
    for name in ("problems", "next_steps"):
        if value := getattr(report, name):
            texts.append(f'<dt>{words[name]}</dt><dd class="prewrap">{escape_text(value)}</dd>')
    if files := report.files:
        items = "".join(_file(file, urls, words) for file in files)
        texts.append(
            f'<dt>{words["evidence"]}</dt><dd class="mb-0"><ul class="list-unstyled mb-0">{items}</ul></dd>'
        )
    return texts


def _file(file, urls, words, *, unit: str = "") -> str:
    preview = (
        f' <a class="small" href="{urls["preview"].format(int(file.pk))}" target="_blank"'
        f' rel="noopener">{words["preview"]}</a>'
        if file.can_preview
        else ""
    )
    size = (
        ""
        if unit
        else f' <span class="text-body-secondary">({escape_text(filesizeformat(file.size))})</span>'
    )
    return (
        f"<li>{escape_text(unit) + ' · ' if unit else ''}"
        f'<a href="{urls["download"].format(int(file.pk))}">{escape_text(file.original_name)}</a>{size}{preview}</li>'
    )


def _report(report, quoted, urls, words) -> str:
    texts = _texts(report, urls, words)
    if quoted:
        items = "".join(_file(file, urls, words, unit=file.report.task.unit.name) for file in quoted)
        texts.append(
            f'<dt>{words["referenced"]}</dt><dd class="mb-0"><ul class="list-unstyled mb-0">{items}</ul></dd>'
        )
    return (
        '<article class="timeline-item report bg-body rounded-end shadow-sm p-3 mb-2">'
        '<div class="d-flex flex-wrap gap-2 align-items-center small mb-2">'
        f"<strong>{words['report']}</strong> {status_badge(report.status)} "
        f'<span class="badge text-bg-light border">{int(report.percent)}%</span> '
        f'<span class="text-body-secondary">{escape_text(person(report.author))} · {cn_datetime(report.created_at)}</span>'
        f'</div><dl class="small mb-0">{"".join(texts)}</dl></article>'
    )


def _review(review, words) -> str:
    style = "text-bg-success" if review.decision == Review.Decision.VERIFIED else "text-bg-danger"
    reason = f'<p class="small prewrap mb-0">{escape_text(review.reason)}</p>' if review.reason else ""
    return (
        f'<article class="timeline-item review-{escape_text(review.decision)} bg-body rounded-end shadow-sm p-3 mb-2">'
        '<div class="d-flex flex-wrap gap-2 align-items-center small mb-1">'
        f"<strong>{words['review']}</strong> "
        f'<span class="badge {style}">{escape_text(label(review, "decision"))}</span> '
        f'<span class="text-body-secondary">{escape_text(person(review.reviewer))} · {cn_datetime(review.created_at)}</span>'
        f"</div>{reason}</article>"
    )


@register.simple_tag
def changes(entries: list[Change]) -> SafeString:
    """变更记录's items: when and who, what changed and why, and each field's
    old and new value (each cut at 60 characters)."""
    items = []
    for change in entries:
        reason = f"：{escape_text(change.reason)}" if change.reason else ""
        fields = "".join(
            f'<div class="text-body-secondary">{escape_text(name)}：<del>{escape_text(Truncator(old).chars(60))}</del>'
            f" → {escape_text(Truncator(new).chars(60))}</div>"
            for name, old, new in change.fields
        )
        items.append(
            '<li class="border-top py-2">'
            f'<div><span class="text-body-secondary">{cn_datetime(change.at)}</span> · {escape_text(person(change.user))}</div>'
            f"<div>{escape_text(change.subject)}{escape_text(change.action)}{reason}</div>{fields}</li>"
        )
    return mark_safe("\n".join(items))  # noqa: S308 - every text through escape_text


@register.simple_tag
def consolidation_reports(consolidation: Consolidation, task, leads: bool, report_form) -> SafeString:
    """牵头汇总's units that have reported, each with its latest report: the
    unit (a link to its task, but for this one), its role, status, percent
    and when, 本月未报送 if not this month, the texts and files; for the
    lead unit with its report form on the page, 引用 on each."""
    quoting = bool(leads and report_form)
    urls = _file_urls(detail=url_with_id("tasks:detail"))
    words = _words(late=_("本月未报送"), quote=_("引用"))
    parts = []
    for row in consolidation.rows:
        report = row.report
        if not report:
            continue
        peer = row.task
        unit = escape_text(peer.unit.name)
        name = unit if peer.pk == task.pk else f'<a href="{urls["detail"].format(int(peer.pk))}">{unit}</a>'
        late = (
            "" if row.reported_this_month else f'<span class="badge text-bg-warning">{words["late"]}</span>'
        )
        texts = _texts(report, urls, words)
        quote = (
            f'\n<span hidden id="quote-text-{int(report.pk)}">【{unit}】{escape_text(report.progress)}</span>\n'
            '<button type="button" class="btn btn-sm btn-outline-secondary quote-button"'
            f' data-quote-target="id_progress" data-quote-source="quote-text-{int(report.pk)}">{words["quote"]}</button>'
            if quoting
            else ""
        )
        parts.append(
            f'<article class="border-top pt-2 mt-2 unit-report" id="unit-report-{int(peer.pk)}">\n'
            '<div class="d-flex flex-wrap gap-2 align-items-center small mb-1">\n'
            f"<strong>{name}</strong>\n"
            f'<span class="text-body-secondary">（{escape_text(label(peer, "role"))}）</span>\n'
            f"{status_badge(peer.status)}\n"
            f'<span class="badge text-bg-light border">{int(report.percent)}%</span> '
            f'<span class="text-body-secondary">{cn_datetime(report.created_at)}</span>\n{late}\n</div>\n'
            f'<dl class="small mb-1">{"".join(texts)}</dl>{quote}\n</article>'
        )
    return mark_safe("\n".join(parts))  # noqa: S308 - every text through escape_text
