from xinli.core.archive.filecommand import FileCryptCommand
from xinli.core.archive.filecrypt import decrypt_file


class Command(FileCryptCommand):
    help = "Decrypt a file written by encrypt_backup; the output appears only if the file is intact (SM4-GCM tag); see docs/backup.md."
    verb = "decrypted"

    def transform(self, source, target, key):
        return decrypt_file(source, target, key)
