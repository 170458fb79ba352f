from django.core.management.base import BaseCommand

from xinli.core import audit
from xinli.core.crypto import keyring
from xinli.core.keys import key_usage, rotate


class Command(BaseCommand):
    help = ("Re-encrypt every personal field with the active data key (the first in XINLI_DATA_KEYS), in batches, "
            "without downtime. Afterwards the old key can be removed from the configuration.")

    def add_arguments(self, parser):
        parser.add_argument("--batch-size", type=int, default=500)
        parser.add_argument("--reindex", action="store_true", help="also recompute every blind index")
        parser.add_argument("--status", action="store_true", help="only show how many values each key encrypts")

    def handle(self, *args, batch_size, reindex, status, **options):
        if status:
            for model, per_key in key_usage().items():
                self.stdout.write(f"{model}: " + ", ".join(f"{k}={n}" for k, n in per_key.items()))
            return
        active = keyring().active_key_id
        counts = rotate(batch_size=batch_size, reindex=reindex)
        audit.record(None, audit.Action.SECURITY, object_type="core.keys", object_id=active,
                     detail={"rotated": counts, "reindex": reindex})
        for model, n in counts.items():
            self.stdout.write(f"{model}: {n} rows re-encrypted with {active}")
        self.stdout.write(self.style.SUCCESS("done"))
