from django.core.management.base import BaseCommand

from xinli.regions.csvcommand import run_import
from xinli.regions.services import import_department_units


class Command(BaseCommand):
    help = ("Register departments' offices (市民政局, 街道民政办, 司法所 …) from a CSV file: department_code, org_unit_code, name; "
            "optional department_name adds a department not in the list. Nothing is written if any row is bad (docs/governance.md).")

    def add_arguments(self, parser):
        parser.add_argument("file")

    def handle(self, *args, file, **options):
        run_import(self, file, import_department_units)
