import random

from django.core.management.base import BaseCommand, CommandError

from xinli.demo.smd import seed_smd
from xinli.smd.models import Patient


class Command(BaseCommand):
    help = ("Add the demo SMD register (about 4.5 per mille of residents, two years of follow-ups) to an already "
            "seeded demo city — e.g. the benchmark city seeded with --no-activity. seed_demo does this itself otherwise.")

    def add_arguments(self, parser):
        parser.add_argument("--seed", type=int, default=1)
        parser.add_argument("--rate", type=float, default=0.0045)

    def handle(self, *args, seed: int, rate: float, **options):
        if Patient.objects.exists():
            raise CommandError("the SMD register is not empty; nothing done")
        if not 0 < rate <= 0.1:
            raise CommandError("--rate must be in (0, 0.1]")
        summary = seed_smd(random.Random(seed), rate=rate)
        from django.db import connection

        if connection.vendor == "postgresql":  # bulk-loaded tables: give the planner fresh statistics
            with connection.cursor() as cur:
                for table in ("smd_patient", "smd_followup", "smd_task", "smd_support", "regions_unitpopulation"):
                    cur.execute(f"ANALYZE {table}")
        self.stdout.write(f"SMD register: {summary['smd_patients']} patients, {summary['smd_follow_ups']} follow-ups")
