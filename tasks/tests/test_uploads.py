from pathlib import Path

import pytest
from django.core.exceptions import ValidationError

from tasks.uploads import evidence_check, ole_stream_names

from . import files

REAL_XLS = Path(__file__).parent / "data" / "xlwt-workbook.xls"  # written by xlwt, a real BIFF8 workbook


@pytest.mark.parametrize(
    ("name", "content", "kind"),
    [
        ("方案.pdf", files.PDF, "pdf"),
        ("现场.PNG", files.PNG, "png"),
        ("现场.jpeg", files.JPEG, "jpg"),
        ("现场.jpg", files.JPEG, "jpg"),
        ("说明.docx", files.DOCX, "docx"),
        ("台账.xlsx", files.XLSX, "xlsx"),
        ("说明.doc", files.DOC, "doc"),
        ("台账.xls", files.XLS, "xls"),
        ("台账.xls", REAL_XLS.read_bytes(), "xls"),
    ],
)
def test_it_accepts_each_allowed_kind_by_content(name, content, kind):
    checked = evidence_check(files.upload(name, content))
    assert checked.kind == kind
    assert checked.size == len(content)
    assert len(checked.sha256) == 64


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("报告.pdf", files.EXE),  # a program renamed
        ("报告.exe", files.EXE),
        ("报告.pdf", b"<html><script>alert(1)</script></html>"),
        ("报告.docx", files.PLAIN_ZIP),  # a zip that is not a Word document
        ("报告.doc", files.OLE_OTHER),  # an OLE file that is not a Word document
        ("报告.xls", files.DOC),  # a Word document named as a workbook
        ("报告.docx", files.PDF),  # content and name disagree
        ("报告", files.PDF),  # no extension
        ("报告.svg", b"<svg xmlns='http://www.w3.org/2000/svg'/>"),
        ("报告.pdf", b"%PDF"[:3]),
    ],
)
def test_it_refuses_files_whose_content_is_not_what_is_allowed(name, content):
    with pytest.raises(ValidationError) as error:
        evidence_check(files.upload(name, content))
    assert error.value.code == "bad_type"
    assert "不是可接受的文件" in error.value.messages[0]


def test_it_refuses_files_over_the_size_limit(settings):
    settings.EVIDENCE_MAX_UPLOAD_BYTES = 20 * 1024 * 1024
    big = files.PDF + b"0" * (20 * 1024 * 1024)
    with pytest.raises(ValidationError) as error:
        evidence_check(files.upload("大文件.pdf", big))
    assert error.value.code == "too_large"
    assert error.value.messages[0].replace("\xa0", " ") == "“大文件.pdf”太大：每个文件不能超过 20.0 MB。"

    exactly = files.PDF + b"0" * (20 * 1024 * 1024 - len(files.PDF))
    assert evidence_check(files.upload("刚好.pdf", exactly)).kind == "pdf"


def test_it_refuses_empty_files():
    with pytest.raises(ValidationError) as error:
        evidence_check(files.upload("空.pdf", b""))
    assert error.value.code == "empty"


def test_it_follows_the_ole_directory_across_sectors():
    # 4 directory entries fit in one 512-byte sector; 12 need three, linked by the FAT.
    content = files.ole("WordDocument", padding_entries=10)
    assert "WordDocument" in ole_stream_names(files.upload("a.doc", content))
    assert evidence_check(files.upload("a.doc", content)).kind == "doc"


@pytest.mark.parametrize(
    "content",
    [
        files.DOC[:600],  # truncated inside the directory
        files.DOC[:512] + b"\xff" * 512,  # a FAT that points nowhere
        b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 100,
    ],
)
def test_it_reads_malformed_ole_files_as_nothing(content):
    assert ole_stream_names(files.upload("x.doc", content)) == set()
    with pytest.raises(ValidationError):
        evidence_check(files.upload("x.doc", content))
