from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from xinli.regions.services import import_units


class Command(BaseCommand):
    help = ("Import org units from a CSV file (code,name,parent_code,kind; optional population and urban_rural_code, the "
            "statistics bureau's 城乡划分代码 of a village or community). Nothing is written if any row is bad.")

    def add_arguments(self, parser):
        parser.add_argument("file")

    def handle(self, *args, file, **options):
        path = Path(file)
        if not path.exists():
            raise CommandError(f"文件不存在 / file not found: {file}")
        try:
            text = path.read_text(encoding="utf-8-sig")
        except UnicodeDecodeError as exc:
            raise CommandError(f"文件不是 UTF-8 编码，请另存为 UTF-8 CSV / the file is not UTF-8 ({exc.reason} at byte "
                               f"{exc.start}); save it again as CSV UTF-8") from None
        report = import_units(text)
        for line, message in report.warnings:
            self.stdout.write(self.style.WARNING(f"line {line}: {message}"))
        if not report.ok:
            for line, message in report.errors:
                self.stderr.write(f"line {line}: {message}")
            raise CommandError(f"{len(report.errors)} 处错误，未写入任何数据 / {len(report.errors)} errors; nothing was written")
        self.stdout.write(self.style.SUCCESS(
            f"created {report.created}, updated {report.updated}, unchanged {report.unchanged}"
        ))
