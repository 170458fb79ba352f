import json
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand
from django.views.decorators.debug import sensitive_variables

from xinli.core.crypto import new_data_key, new_index_key


class Command(BaseCommand):
    help = ("Write a local key file (demo/development) or print new keys for the environment. "
            "--add puts a new active data key in front of the existing ones (then run rotate_keys).")

    def add_arguments(self, parser):
        parser.add_argument("--file", default=settings.XINLI_KEY_FILE)
        parser.add_argument("--print", action="store_true", help="print XINLI_DATA_KEYS/XINLI_INDEX_KEY lines instead")
        parser.add_argument("--add", action="store_true", help="add a new active data key to the key file")

    @sensitive_variables("data")  # the new keys never appear in an error report
    def handle(self, *args, file, print: bool, add: bool, **options):
        if print:
            self.stdout.write(f"XINLI_DATA_KEYS=k1:{new_data_key()}\nXINLI_INDEX_KEY={new_index_key()}")
            return
        path = Path(file)
        if path.exists() and not add:
            self.stdout.write(f"key file exists, kept: {path}")
            return
        if path.exists():
            data = json.loads(path.read_text())
            n = 1 + max(int(k[1:]) for k, _ in data["data_keys"] if k[1:].isdigit())
            data["data_keys"].insert(0, [f"k{n}", new_data_key()])
        else:
            data = {"data_keys": [["k1", new_data_key()]], "index_key": new_index_key()}
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(data, indent=1))
        path.chmod(0o600)
        self.stdout.write(f"wrote {path}; active data key {data['data_keys'][0][0]}")
