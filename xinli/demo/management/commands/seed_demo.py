import json
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand

from xinli.demo.seed import CITY_CODE, SIZES
from xinli.demo.seed import seed as run_seed
from xinli.regions.models import OrgUnit


class Command(BaseCommand):
    help = "Seed the demo city (deterministic for a given --seed). Writes var/demo-accounts.json and prints the logins."

    def add_arguments(self, parser):
        parser.add_argument("--size", choices=sorted(SIZES), default="small")
        parser.add_argument("--seed", type=int, default=1)
        parser.add_argument("--accounts-file", default=str(settings.VAR_DIR / "demo-accounts.json"))
        parser.add_argument("--no-activity", action="store_true",
                            help="only the tree, residents and accounts (no hotline history, alerts or crisis cases)")

    def handle(self, *args, size, seed: int, accounts_file, no_activity=False, **options):
        path = Path(accounts_file)
        if OrgUnit.objects.filter(code=CITY_CODE + "0" * 8).exists():
            self.stdout.write("demo city already seeded; reusing it")
        else:
            def progress(n):
                if n % 100_000 == 0 or n == SIZES[size].residents:
                    self.stdout.write(f"  {n} residents")

            summary = run_seed(size, seed, accounts_file=path, progress=progress, activity=not no_activity)
            self.stdout.write(
                f"seeded {summary['villages']} villages/communities and {summary['residents']} residents "
                f"in {summary['resident_seconds']:.1f} s ({summary['residents_per_second']:.0f} residents/s)"
            )
            if "hotline_calls" in summary:
                self.stdout.write(f"hotline history: {summary['hotline_calls']} calls, "
                                  f"{summary['call_detail_records']} call-detail records; open alerts and crisis cases seeded; "
                                  f"SMD register: {summary['smd_patients']} patients, {summary['smd_follow_ups']} follow-ups")
        if path.exists():
            self.stdout.write("\nDemo logins (演示账号):")
            for a in json.loads(path.read_text()):
                self.stdout.write(f"  {a['username']:<20} {a['password']:<16} {a['role']:<20} {a['org_unit_name']} ({a['org_unit_code']})")
