import time

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from xinli.indicators.services import rebuild


class Command(BaseCommand):
    help = ("Recompute every registered indicator for every city, county, township and village that existed at the end of "
            "the year (default: this year); with --months also each month of the year so far (the year to that month's end).")

    def add_arguments(self, parser):
        parser.add_argument("--year", type=int, default=None)
        parser.add_argument("--months", action="store_true", help="also rebuild the monthly values (trend charts)")

    def handle(self, *args, year=None, months=False, **options):
        today = timezone.localdate()
        year = year or today.year
        if not 2000 <= year <= today.year:
            raise CommandError(f"--year: a year from 2000 to {today.year} / 年份应在 2000 至 {today.year} 之间")
        t0 = time.perf_counter()
        n = rebuild(year)
        self.stdout.write(self.style.SUCCESS(f"{n} indicator values for {year} in {time.perf_counter() - t0:.1f} s"))
        if months:
            last = today.month if year == today.year else 12
            for month in range(1, last + 1):
                t1 = time.perf_counter()
                n = rebuild(year, month=month)
                self.stdout.write(f"{n} values for {year}-{month:02d} in {time.perf_counter() - t1:.1f} s")
