"""The shared part of the CSV import commands (departments' offices, grid cells): read a UTF-8 file, run the
all-or-nothing import, print every bad row with its line or the counts."""

from __future__ import annotations

from pathlib import Path

from django.core.management.base import CommandError


def run_import(command, file: str, importer) -> None:
    """``importer(text) -> regions.services.ImportReport``; nothing is written when a row is bad."""
    path = Path(file)
    if not path.exists():
        raise CommandError(f"文件不存在 / file not found: {file}")
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError:
        raise CommandError("文件不是 UTF-8 编码，请另存为 UTF-8 CSV / the file is not UTF-8; save it again as CSV UTF-8") from None
    report = importer(text)
    if not report.ok:
        for line, message in report.errors:
            command.stderr.write(f"line {line}: {message}")
        raise CommandError(f"{len(report.errors)} 处错误，未写入任何数据 / {len(report.errors)} errors; nothing was written")
    command.stdout.write(f"created {report.created}, updated {report.updated}, unchanged {report.unchanged}")
