import os
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from xinli.core.archive import ArchiveError, export_region, load_backup_key


class Command(BaseCommand):
    help = ("Export one region (an org unit and its subtree, with the audit entries concerning it) into a file "
            "encrypted with SM4-GCM under the backup key (--key-file or XINLI_BACKUP_KEY). See docs/backup.md.")

    def add_arguments(self, parser):
        parser.add_argument("--org", required=True, help="12-digit statistical code of the org unit")
        parser.add_argument("--out", required=True, help="file to write (refused if it exists)")
        parser.add_argument("--key-file", help="file holding the base64 backup key (default: XINLI_BACKUP_KEY)")

    def handle(self, *args, org, out, key_file, **options):
        target = Path(out)
        if target.exists():
            raise CommandError(f"--out: 文件已存在 / {out} already exists; choose a new file name")
        try:
            key = load_backup_key(key_file)
            result = export_region(org, key)
        except ArchiveError as exc:
            raise CommandError(str(exc)) from exc
        tmp = target.with_name(target.name + ".part")
        try:
            tmp.unlink(missing_ok=True)  # a leftover of an interrupted run: recreate it with mode 0600
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            with os.fdopen(fd, "wb") as f:
                f.write(result.data)
            tmp.replace(target)
        except OSError as exc:
            raise CommandError(f"--out: 无法写入 / cannot write {out}: {exc.strerror}") from exc
        self.stdout.write(self.style.SUCCESS(
            f"{out}: {result.rows} rows in {result.tables} tables, {result.audit_entries} audit entries, "
            f"left out {result.left_out} rows linking persons outside the region, {result.links_cleared} links cleared, "
            f"SM3 {result.digest}"))
