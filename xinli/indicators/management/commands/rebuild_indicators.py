import time

from django.core.management.base import BaseCommand
from django.utils import timezone

from xinli.indicators.services import rebuild


class Command(BaseCommand):
    help = "Recompute every registered indicator for every current city, county and township for a year (default: this year)."

    def add_arguments(self, parser):
        parser.add_argument("--year", type=int, default=None)

    def handle(self, *args, year=None, **options):
        year = year or timezone.localdate().year
        t0 = time.perf_counter()
        n = rebuild(year)
        self.stdout.write(self.style.SUCCESS(f"{n} indicator values for {year} in {time.perf_counter() - t0:.1f} s"))
