from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from xinli.scales.definitions import DefinitionError
from xinli.scales.services import import_definition


class Command(BaseCommand):
    help = "Validate and load a licensed instrument definition (JSON, docs/scale-definitions.md). Restart workers after."

    def add_arguments(self, parser):
        parser.add_argument("file")
        parser.add_argument("--licence-note", default="", help="the licence under which the operator uses the texts")

    def handle(self, *args, file, licence_note, **options):
        try:
            row = import_definition(Path(file), licence_note=licence_note)
        except DefinitionError as exc:
            raise CommandError(f"定义无效，未导入 / invalid definition, nothing imported: {exc}") from exc
        self.stdout.write(self.style.SUCCESS(f"imported {row.code} {row.version}"))
