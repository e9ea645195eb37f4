"""bench/load.py's staff attach a PDF it builds itself: the portal must take
it as evidence, or every report of the load test would come back refused
and the test would measure error pages."""

from django.core.files.uploadedfile import SimpleUploadedFile

from bench.load_client import tiny_pdf
from tasks.models import Evidence
from tasks.uploads import evidence_check


def test_it_attaches_a_pdf_the_evidence_rules_accept():
    upload = SimpleUploadedFile("佐证材料.pdf", tiny_pdf(), content_type="application/pdf")

    assert evidence_check(upload).kind == Evidence.Kind.PDF
