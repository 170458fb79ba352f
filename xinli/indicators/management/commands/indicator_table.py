from django.core.management.base import BaseCommand, CommandError

from xinli.indicators.doctable import docs_path, render


class Command(BaseCommand):
    help = "Write the per-indicator table of docs/indicators.md from the registry (--check: only say whether it is current)."

    def add_arguments(self, parser):
        parser.add_argument("--check", action="store_true", help="exit with an error when the table is out of date")

    def handle(self, *args, check=False, **options):
        path = docs_path()
        text = path.read_text(encoding="utf-8")
        new = render(text)
        if check:
            if new != text:
                raise CommandError("docs/indicators.md: 指标表已过期，请运行 manage.py indicator_table / the indicator table is out of date: "
                                   "run manage.py indicator_table")
            self.stdout.write("docs/indicators.md: the indicator table is current")
            return
        path.write_text(new, encoding="utf-8")
        self.stdout.write(f"wrote the indicator table to {path}")
