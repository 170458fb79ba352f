from django.core.management.base import BaseCommand

from xinli.archives.duplicates import SCAN_BATCH, scan_register


class Command(BaseCommand):
    help = ("Scan the whole register for possible duplicate records (same name and birth date, or same phone, with "
            "different ID numbers) through the blind indexes and add new pairs to the review list; see docs/archive.md.")

    def add_arguments(self, parser):
        parser.add_argument("--batch", type=int, default=SCAN_BATCH, help="records per batch (default %(default)s)")

    def handle(self, *args, batch, **options):
        added = scan_register(batch=max(1, batch))
        self.stdout.write(f"possible duplicate pairs added: {added}")
