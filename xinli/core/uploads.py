"""Checks on files given to the importers, before any parser sees them: size, and for .xlsx (a zip) a sane archive
that does not unpack to more than ``XINLI_MAX_XLSX_UNPACKED_BYTES`` (zip bombs). Each returns a bilingual message
naming the file and the fix, or ``None`` when the file may be read.

Uploaded files are never written under our own names: the CDR upload is read in memory (or from Django's temporary
upload file) and parsed; the client's file name is never used as a path.
"""

from __future__ import annotations

import os
import zipfile

from django.conf import settings
from django.utils.translation import gettext_lazy as _

from .i18n import bilingual


def upload_problem(upload) -> str | None:
    """An uploaded file (``request.FILES[...]``) that is too large to import."""
    return size_problem(upload.size)


def size_problem(size: int | None) -> str | None:
    """A file or request body of ``size`` bytes that is too large to import."""
    if size is not None and size > settings.XINLI_MAX_UPLOAD_BYTES:
        return bilingual(_("File: larger than {limit} MB; split it and upload the parts."),
                         limit=settings.XINLI_MAX_UPLOAD_BYTES // (1024 * 1024))
    return None


def workbook_problem(path) -> str | None:
    """An .xlsx file that is too large, not an .xlsx at all, or unpacks to too much."""
    try:
        size = os.path.getsize(path)
    except OSError:
        return bilingual(_("File: cannot be read; check the path and the permissions."))
    if size > settings.XINLI_MAX_UPLOAD_BYTES:
        return bilingual(_("File: larger than {limit} MB; split it and upload the parts."),
                         limit=settings.XINLI_MAX_UPLOAD_BYTES // (1024 * 1024))
    try:
        with zipfile.ZipFile(path) as archive:
            members = archive.infolist()
    except (zipfile.BadZipFile, OSError, ValueError):
        return bilingual(_("File: not an Excel workbook (.xlsx); save it from Excel or WPS as .xlsx."))
    if sum(m.file_size for m in members) > settings.XINLI_MAX_XLSX_UNPACKED_BYTES:
        return bilingual(_("File: the workbook unpacks to more than {limit} MB; split it into smaller workbooks."),
                         limit=settings.XINLI_MAX_XLSX_UNPACKED_BYTES // (1024 * 1024))
    return None


def too_many_rows(line: int) -> str | None:
    """``line`` (1-based, header = 1) is past the row limit of one import."""
    if line - 1 > settings.XINLI_MAX_IMPORT_ROWS:
        return bilingual(_("File: more than {limit} rows; split it into smaller files."), limit=settings.XINLI_MAX_IMPORT_ROWS)
    return None
