from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from xinli.regions.services import import_department_units


class Command(BaseCommand):
    help = ("Register departments' offices (市民政局, 街道民政办, 司法所 …) from a CSV file: department_code, org_unit_code, name; "
            "optional department_name adds a department not in the list. Nothing is written if any row is bad (docs/governance.md).")

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
        report = import_department_units(text)
        if not report.ok:
            for line, message in report.errors:
                self.stderr.write(f"line {line}: {message}")
            raise CommandError(f"{len(report.errors)} 处错误，未写入任何数据 / {len(report.errors)} errors; nothing was written")
        self.stdout.write(f"created {report.created}, renamed {report.updated}, unchanged {report.unchanged}")
