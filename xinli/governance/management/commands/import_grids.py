from django.core.management.base import BaseCommand

from xinli.governance.grids import import_grids
from xinli.regions.csvcommand import run_import


class Command(BaseCommand):
    help = ("Import grid cells (网格) from a CSV file: code (370202001001-01), name, org_unit_code; optional households and "
            "worker (a username). Nothing is written if any row is bad (docs/governance.md).")

    def add_arguments(self, parser):
        parser.add_argument("file")

    def handle(self, *args, file, **options):
        run_import(self, file, import_grids)
