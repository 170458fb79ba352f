from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from xinli.core.archive import ArchiveError, load_backup_key, restore


class Command(BaseCommand):
    help = ("Restore a region archive written by export_archive into a database that holds nothing of that region: "
            "one transaction, then counts per table and the audit chain are verified. See docs/backup.md.")

    def add_arguments(self, parser):
        parser.add_argument("file")
        parser.add_argument("--key-file", help="file holding the base64 backup key (default: XINLI_BACKUP_KEY)")
        parser.add_argument("--database", default="default", help="database alias to restore into")

    def handle(self, *args, file, key_file, database, **options):
        try:
            data = Path(file).read_bytes()
        except OSError as exc:
            raise CommandError(f"无法读取 / cannot read {file}: {exc.strerror}") from exc
        try:
            report = restore(data, load_backup_key(key_file), using=database)
        except ArchiveError as exc:
            raise CommandError(str(exc)) from exc
        for table, n in sorted(report.inserted.items()):
            present = report.present.get(table)
            self.stdout.write(f"{table}: {n} rows inserted" + (f", {present} already present" if present else ""))
        a = report.audit
        self.stdout.write(f"audit: {a.entries} entries verified ({a.links} links checked, {a.runs} runs), "
                          f"audit chain intact: {report.chain_checked} entries verified")
        self.stdout.write(self.style.SUCCESS(f"region {report.org} restored"))
