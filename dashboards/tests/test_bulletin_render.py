"""The 通报 rendered by LibreOffice (headless), as Word and WPS would open
it: converted to PDF, its first page to a PNG with pdftoppm (Debian's
LibreOffice without a GUI has no PNG export). Skipped only where
LibreOffice (`soffice`) is missing; .ci/run installs it
(libreoffice-writer-nogui, poppler-utils, and fonts-wqy-microhei for the
Chinese). With UPDATE_SCREENSHOTS=1 the page goes to
docs/screenshots/bulletin.png (docs/dashboards.md)."""

import datetime as dt
import os
import shutil
import struct
import subprocess
from pathlib import Path

import pytest
import time_machine
from django.urls import reverse

from dashboards.asof import Scope
from dashboards.figures import dashboard_overview
from tasks.tests.plans import AUG_15, SHANGHAI, simulate_progress

SCREENSHOT = Path(__file__).resolve().parents[2] / "docs" / "screenshots" / "bulletin.png"
soffice = shutil.which("soffice") or shutil.which("libreoffice")
pytestmark = pytest.mark.skipif(soffice is None, reason="LibreOffice (soffice) is not installed")


def to_pdf(docx: Path) -> Path:
    """soffice --convert-to pdf, beside the file; with a profile of its own,
    so runs side by side do not share one."""
    profile = docx.parent / "lo-profile"
    subprocess.run(
        [
            soffice,
            f"-env:UserInstallation=file://{profile}",
            "--headless",
            "--norestore",
            "--convert-to",
            "pdf",
            "--outdir",
            str(docx.parent),
            str(docx),
        ],
        check=True,
        capture_output=True,
        timeout=180,
        env={**os.environ, "HOME": str(docx.parent)},
    )
    return docx.with_suffix(".pdf")


def first_page_png(pdf: Path) -> Path:
    assert shutil.which("pdftoppm"), "pdftoppm is missing: apt-get install poppler-utils"
    subprocess.run(
        [
            "pdftoppm",
            "-png",
            "-r",
            "80",
            "-f",
            "1",
            "-l",
            "1",
            "-singlefile",
            str(pdf),
            str(pdf.with_suffix("")),
        ],
        check=True,
        timeout=60,
    )
    return pdf.with_suffix(".png")


def first_page_text(pdf: Path) -> str:
    result = subprocess.run(
        ["pdftotext", "-l", "1", str(pdf), "-"], check=True, capture_output=True, text=True, timeout=60
    )
    return "".join(result.stdout.split())


def png_size(path: Path) -> tuple[int, int]:
    with path.open("rb") as f:
        header = f.read(24)
    assert header[:8] == b"\x89PNG\r\n\x1a\n"
    return struct.unpack(">II", header[16:24])


def test_it_renders_the_first_page_in_libreoffice(client, plan_2019, staff, office, tmp_path):
    """The 2019 annex with three months of simulated reports (as the
    overview's screenshot), on 15 August 2019."""
    simulate_progress(
        plan=plan_2019,
        staff=staff,
        office=office,
        start=dt.datetime(2019, 5, 8, 9, tzinfo=SHANGHAI),
        end=dt.datetime(2019, 8, 14, 18, tzinfo=SHANGHAI),
    )
    client.force_login(office)
    with time_machine.travel(AUG_15, tick=False):
        response = client.get(reverse("dashboards:bulletin"))
    assert response.status_code == 200
    docx = tmp_path / "bulletin.docx"
    docx.write_bytes(response.content)
    pdf = to_pdf(docx)
    text = first_page_text(pdf)
    assert "萧山区2019年度" in text and "（截至2019年8月15日）" in text
    assert "一、总体情况" in text and "—1—" in text  # the page number in the footer
    totals = dashboard_overview(scope=Scope(plan=plan_2019, as_of=AUG_15.date(), today=AUG_15.date())).totals
    assert f"的{totals.total}项任务。其中已办结{totals.verified}项" in text
    assert f"已逾期{totals.overdue}项" in text and f"按期完成率为{totals.on_time_rate}%" in text
    png = first_page_png(pdf)
    width, height = png_size(png)
    assert abs(height / width - 297 / 210) < 0.01  # an A4 page, upright
    assert png.stat().st_size > 20_000  # text on it, not a blank page
    if os.environ.get("UPDATE_SCREENSHOTS") == "1":
        shutil.copyfile(png, SCREENSHOT)
