from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from xinli.governance.grids import import_grids


class Command(BaseCommand):
    help = ("Import grid cells (网格) from a CSV file: code (370202001001-01), name, org_unit_code; optional households and "
            "worker (a username). Nothing is written if any row is bad (docs/governance.md).")

    def add_arguments(self, parser):
        parser.add_argument("file")

    def handle(self, *args, file, **options):
        path = Path(file)
        if not path.exists():
            raise CommandError(f"文件不存在 / file not found: {file}")
        try:
            text = path.read_text(encoding="utf-8-sig")
        except UnicodeDecodeError:
            raise CommandError("文件不是 UTF-8 编码，请另存为 UTF-8 CSV / the file is not UTF-8; save it again as CSV UTF-8") from None
        report = import_grids(text)
        if not report.ok:
            for line, message in report.errors:
                self.stderr.write(f"line {line}: {message}")
            raise CommandError(f"{len(report.errors)} 处错误，未写入任何数据 / {len(report.errors)} errors; nothing was written")
        self.stdout.write(f"created {report.created}, updated {report.updated}")
