from xinli.core.archive.filecommand import FileCryptCommand
from xinli.core.archive.filecrypt import encrypt_file


class Command(FileCryptCommand):
    help = "Encrypt a backup file (e.g. a pg_dump) with SM4-GCM under the backup key (--key-file or XINLI_BACKUP_KEY), streamed; see docs/backup.md."
    verb = "encrypted"

    def transform(self, source, target, key):
        return encrypt_file(source, target, key)
