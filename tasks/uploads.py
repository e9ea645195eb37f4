"""Checks on evidence files: what a file is, decided by its content, never by
its name. A renamed program, a web page or a zip that is not an Office
document is refused, and so is anything over the size limit."""

import hashlib
import struct
import zipfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import PurePath

import filetype
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _

from .models import Evidence, EvidenceFile

Kind = Evidence.Kind

# The extensions a user's file may carry for each kind of content. A file
# whose name says one thing and whose content another is refused: it is
# either a mistake or a disguise.
EXTENSIONS = {
    Kind.PDF: {"pdf"},
    Kind.DOC: {"doc"},
    Kind.DOCX: {"docx"},
    Kind.XLS: {"xls"},
    Kind.XLSX: {"xlsx"},
    Kind.JPG: {"jpg", "jpeg"},
    Kind.PNG: {"png"},
}
ALLOWED_EXTENSIONS = sorted(set().union(*EXTENSIONS.values()))

OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
# Streams that make an OLE compound file a Word or an Excel document.
OLE_STREAMS = {Kind.DOC: {"WordDocument"}, Kind.XLS: {"Workbook", "Book"}}
# Parts that make a zip an Office Open XML document.
OOXML_PARTS = {Kind.DOCX: "word/document.xml", Kind.XLSX: "xl/workbook.xml"}
IMAGE_AND_PDF = {"pdf": Kind.PDF, "jpg": Kind.JPG, "png": Kind.PNG}


@dataclass(frozen=True)
class CheckedFile:
    kind: str
    size: int
    sha256: str


def evidence_check(upload) -> CheckedFile:
    """The kind of an uploaded evidence file, or ValidationError in Chinese."""
    name = upload.name or ""
    limit = settings.EVIDENCE_MAX_UPLOAD_BYTES
    if upload.size > limit:
        raise ValidationError(
            _("“%(name)s”太大：每个文件不能超过 %(limit)s。"),
            code="too_large",
            params={"name": name, "limit": filesizeformat(limit)},
        )
    if upload.size == 0:
        raise ValidationError(_("“%(name)s”是空文件。"), code="empty", params={"name": name})

    kind = sniff_kind(upload)
    extension = PurePath(name).suffix.lower().lstrip(".")
    if kind is None or extension not in EXTENSIONS[kind]:
        raise ValidationError(
            _(
                "“%(name)s”不是可接受的文件：只能上传 PDF、Word（doc/docx）、Excel（xls/xlsx）"
                "或 JPG/PNG 图片，且文件内容须与扩展名一致。"
            ),
            code="bad_type",
            params={"name": name},
        )
    return CheckedFile(kind=kind, size=upload.size, sha256=_sha256(upload))


def evidence_store(
    files: Sequence[tuple[UploadedFile, CheckedFile]], make: Callable[..., EvidenceFile]
) -> list:
    """Save each checked upload as `make(original_name=…, kind=…, size=…,
    sha256=…)` (an unsaved row of an EvidenceFile model, its owner set).
    Inside the caller's transaction: should anything fail, the rows roll back
    with it and the files already written to disk are deleted here."""
    stored: list[EvidenceFile] = []
    try:
        for upload, check in files:
            evidence = make(
                original_name=upload.name[-200:], kind=check.kind, size=check.size, sha256=check.sha256
            )
            evidence.file.save(upload.name, upload, save=False)
            stored.append(evidence)
            evidence.save()
    except BaseException:
        for evidence in stored:
            evidence.file.delete(save=False)
        raise
    return stored


def sniff_kind(upload) -> str | None:
    upload.seek(0)
    head = upload.read(8192)
    upload.seek(0)
    try:
        if head.startswith(OLE_MAGIC):
            return _ole_kind(upload)
        if head.startswith(b"PK\x03\x04"):
            return _ooxml_kind(upload)
        guess = filetype.guess(head)
        return IMAGE_AND_PDF.get(guess.extension) if guess else None
    finally:
        upload.seek(0)


def _ooxml_kind(upload) -> str | None:
    try:
        with zipfile.ZipFile(upload) as archive:
            names = set(archive.namelist())
    except (zipfile.BadZipFile, OSError, ValueError):
        return None
    if "[Content_Types].xml" not in names:
        return None
    for kind, part in OOXML_PARTS.items():
        if part in names:
            return kind
    return None


def _ole_kind(upload) -> str | None:
    streams = ole_stream_names(upload)
    for kind, wanted in OLE_STREAMS.items():
        if streams & wanted:
            return kind
    return None


def ole_stream_names(upload, *, max_sectors: int = 100_000) -> set[str]:
    """The names in an OLE compound file's directory (the container of .doc
    and .xls files), read by following the directory's sector chain through
    the FAT. Malformed files give an empty set, never an exception."""

    def sector(number: int) -> bytes:
        upload.seek((number + 1) * sector_size)
        data = upload.read(sector_size)
        if len(data) != sector_size:
            raise ValueError("truncated")
        return data

    try:
        upload.seek(0)
        header = upload.read(512)
        if len(header) < 512 or not header.startswith(OLE_MAGIC):
            return set()
        sector_shift = struct.unpack_from("<H", header, 0x1E)[0]
        if sector_shift not in (9, 12):
            return set()
        sector_size = 1 << sector_shift
        first_dir = struct.unpack_from("<I", header, 0x30)[0]
        first_difat, difat_count = struct.unpack_from("<II", header, 0x44)
        per_sector = sector_size // 4

        # The FAT's own sectors: 109 listed in the header, more in DIFAT sectors.
        fat_sectors = [n for n in struct.unpack_from("<109I", header, 0x4C) if n < 0xFFFFFFFA]
        next_difat = first_difat
        for _ in range(min(difat_count, max_sectors)):
            if next_difat >= 0xFFFFFFFA:
                break
            entries = struct.unpack(f"<{per_sector}I", sector(next_difat))
            fat_sectors.extend(n for n in entries[:-1] if n < 0xFFFFFFFA)
            next_difat = entries[-1]
        fat: list[int] = []
        for number in fat_sectors[:max_sectors]:
            fat.extend(struct.unpack(f"<{per_sector}I", sector(number)))

        names: set[str] = set()
        current, seen = first_dir, set()
        while current < 0xFFFFFFFA and current not in seen and len(seen) < max_sectors:
            seen.add(current)
            data = sector(current)
            for offset in range(0, sector_size, 128):
                entry = data[offset : offset + 128]
                length = struct.unpack_from("<H", entry, 0x40)[0]
                if 2 <= length <= 64 and entry[0x42] in (1, 2, 5):  # storage, stream, root
                    names.add(entry[: length - 2].decode("utf-16-le", errors="replace"))
            current = fat[current] if current < len(fat) else 0xFFFFFFFE
        return names
    except (struct.error, ValueError, OSError, IndexError):
        return set()
    finally:
        upload.seek(0)


def _sha256(upload) -> str:
    digest = hashlib.sha256()
    for chunk in upload.chunks():
        digest.update(chunk)
    upload.seek(0)
    return digest.hexdigest()
