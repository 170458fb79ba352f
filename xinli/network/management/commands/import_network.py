from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from xinli.accounts.models import User
from xinli.network.transfer import import_workbook


class Command(BaseCommand):
    help = ("Import institutions, sites and staff from an .xlsx workbook (sheets institutions, sites, staff; columns in "
            "xinli/network/transfer.py). Nothing is written if any row is bad, unless --skip-invalid.")

    def add_arguments(self, parser):
        parser.add_argument("file")
        parser.add_argument("--as", dest="username", required=True, help="the officer importing (network.manage over every row's unit)")
        parser.add_argument("--skip-invalid", action="store_true")

    def handle(self, *args, file, username, skip_invalid=False, **options):
        if not Path(file).exists():
            raise CommandError(f"文件不存在 / file not found: {file}")
        actor = User.objects.filter(username=username, is_active=True).first()
        if actor is None:
            raise CommandError(f"用户不存在 / no such active user: {username}")
        report = import_workbook(actor, file, skip_invalid=skip_invalid)
        for sheet, line, message in report.errors:
            self.stderr.write(f"{sheet} line {line}: {message}")
        if report.errors and not skip_invalid:
            raise CommandError(f"{len(report.errors)} 行有错误，未写入任何数据 / {len(report.errors)} bad rows; nothing was written")
        self.stdout.write(self.style.SUCCESS("imported " + ", ".join(f"{n} {s}" for s, n in report.created.items())))
