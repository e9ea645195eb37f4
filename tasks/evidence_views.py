"""Evidence files — a report's, or an extension request's — to those who
may read their task: a download, or 预览 in the browser for PDF and
images. Every file is served sandboxed."""

from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _

from . import access
from .models import Evidence, ExtensionEvidence

# A file is a document of its own, never a page of the portal: sandboxed (no
# script, no same origin, no forms, no plugins), nothing loaded from
# elsewhere, never framed, and its type never guessed from the content.
EVIDENCE_CSP = (
    "sandbox; default-src 'none'; img-src 'self'; style-src 'unsafe-inline'; frame-ancestors 'none'"
)


def _evidence_response(request, evidence, *, preview: bool):
    """An evidence file, to those who may read its task; 404 to everyone
    else. Inline only for the kinds a browser shows without running
    anything (PDF, JPG, PNG) and only when asked; a download otherwise."""
    access.get_evidence_for_user(request.user, evidence)
    try:
        handle = evidence.file.open("rb")
    except FileNotFoundError:
        raise Http404(_("文件不存在。")) from None
    response = FileResponse(
        handle,
        as_attachment=not (preview and evidence.can_preview),
        filename=evidence.download_name,
        content_type=evidence.content_type,
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = EVIDENCE_CSP
    return response


def _report_file(pk) -> Evidence:
    return get_object_or_404(Evidence.objects.select_related("report"), pk=pk)


def _extension_file(pk) -> ExtensionEvidence:
    return get_object_or_404(ExtensionEvidence.objects.select_related("extension"), pk=pk)


@login_required
def evidence_download(request, pk):
    return _evidence_response(request, _report_file(pk), preview=False)


@login_required
def evidence_preview(request, pk):
    """预览: PDF and images open in the browser; anything else downloads."""
    return _evidence_response(request, _report_file(pk), preview=True)


@login_required
def extension_evidence_download(request, pk):
    """A file of an extension request (延期申请), same rules as a report's."""
    return _evidence_response(request, _extension_file(pk), preview=False)


@login_required
def extension_evidence_preview(request, pk):
    return _evidence_response(request, _extension_file(pk), preview=True)
