"""The one body of ``manage.py encrypt_backup`` and ``decrypt_backup``: file in, file out, under the backup key."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from . import ArchiveError, load_backup_key


class FileCryptCommand(BaseCommand):
    verb = ""  # "encrypted" / "decrypted"

    def transform(self, source: Path, target: Path, key: bytes) -> int:
        raise NotImplementedError

    def add_arguments(self, parser):
        parser.add_argument("src")
        parser.add_argument("dst", help="file to write (refused if it exists)")
        parser.add_argument("--key-file", help="file holding the base64 backup key (default: XINLI_BACKUP_KEY)")

    def handle(self, *args, src, dst, key_file, **options):
        source, target = Path(src), Path(dst)
        if target.exists():
            raise CommandError(f"文件已存在 / {dst} already exists; choose a new file name")
        try:
            size = self.transform(source, target, load_backup_key(key_file))
        except OSError as exc:
            raise CommandError(f"无法读写文件 / cannot read or write {exc.filename}: {exc.strerror}") from exc
        except ArchiveError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(self.style.SUCCESS(f"{dst}: {size} bytes {self.verb}"))
