import os
from pathlib import Path

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management.base import BaseCommand, CommandError

from xinli.accounts.models import User
from xinli.core.archive import ArchiveError, load_backup_key
from xinli.regions.models import OrgUnit
from xinli.smd import citytransfer
from xinli.smd.models import Patient


def _write(path: str, data: bytes) -> None:
    target = Path(path)
    if target.exists():
        raise CommandError(f"文件已存在 / {path} already exists; choose a new file name")
    fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as f:
        f.write(data)


def _read(path: str) -> bytes:
    try:
        return Path(path).read_bytes()
    except OSError as exc:
        raise CommandError(f"无法读取 / cannot read {path}: {exc.strerror}") from exc


class Command(BaseCommand):
    help = ("A patient moving to another city that runs the platform (docs/smd.md, 'To another city'): "
            "`export` the encrypted package of one patient (with every record managed for the person), `import` it at the receiving city (writes the signed "
            "receipt), `close` the sender's record as moved out on that receipt. The transfer key (base64 of 16 bytes) "
            "is agreed by the two cities: --key-file.")

    def add_arguments(self, parser):
        parser.add_argument("action", choices=["export", "import", "close"])
        parser.add_argument("--as", dest="username", required=True, help="the acting doctor (smd.followup over the patient or unit)")
        parser.add_argument("--key-file", required=True, help="file holding the base64 transfer key")
        parser.add_argument("--patient", type=int, help="export: the patient's record number")
        parser.add_argument("--to", help="export: the receiving city (name or code), kept in the package")
        parser.add_argument("--package", help="the package file (written by export, read by import and close)")
        parser.add_argument("--org", help="import: 12-digit code of the receiving village or township")
        parser.add_argument("--receipt", help="the receipt file (written by import, read by close)")

    def handle(self, *args, action, username, key_file, patient=None, to=None, package=None, org=None, receipt=None, **options):
        actor = User.objects.filter(username=username, is_active=True).first()
        if actor is None:
            raise CommandError(f"--as: 用户不存在 / no such active user: {username}")
        if not package:
            raise CommandError("--package: 必填 / required")
        try:
            key = load_backup_key(key_file)
            if action == "export":
                row = Patient.objects.filter(pk=patient).select_related("person__org_unit").first() if patient else None
                if row is None or not to:
                    raise CommandError("--patient 和 --to 必填且患者须存在 / --patient (an existing record) and --to are required")
                data, digest = citytransfer.export_package(actor, row, key, to=to)
                _write(package, data)
                self.stdout.write(self.style.SUCCESS(f"{package}: SM3 {digest}"))
            elif action == "import":
                unit = OrgUnit.objects.filter(code=org or "").first()
                if unit is None or not receipt:
                    raise CommandError("--org（本地单位代码）和 --receipt 必填 / --org (a unit code here) and --receipt are required")
                if Path(receipt).exists():  # checked before importing: an import is not undone for a file name
                    raise CommandError(f"文件已存在 / {receipt} already exists; choose a new file name")
                row, signed = citytransfer.import_package(actor, _read(package), key, unit=unit)
                _write(receipt, signed)
                what = f"patient {row.pk}" if row is not None else "records (no SMD entry)"
                self.stdout.write(self.style.SUCCESS(f"{what} registered at {unit.code}; receipt {receipt}"))
            else:
                if not receipt:
                    raise CommandError("--receipt: 必填 / required")
                row = citytransfer.close_with_receipt(actor, _read(package), _read(receipt), key)
                self.stdout.write(self.style.SUCCESS(f"patient {row.pk}: {row.get_status_display()}"))
        except ArchiveError as exc:
            raise CommandError(str(exc)) from exc
        except PermissionDenied as exc:
            raise CommandError("--as: 无权处理该患者或单位 / this user may not act on that patient or unit") from exc
        except ValidationError as exc:
            raise CommandError("; ".join(f"{k}: {' '.join(map(str, v))}" for k, v in exc.message_dict.items())
                               if hasattr(exc, "error_dict") else " ".join(exc.messages)) from exc
