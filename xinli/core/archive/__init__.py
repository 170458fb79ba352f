"""Region archives: ``export_region`` writes one org unit's subtree (every row under its path, the rows those point
at, and the audit entries concerning it — but nothing about persons outside the region) as an SM4-GCM encrypted file
under a backup key; ``restore`` puts it into a database that holds nothing of that region, all or nothing, and
verifies it. Procedure and guarantees: docs/backup.md."""

from .container import ArchiveError, load_backup_key
from .export import ExportResult, export_region
from .restore import RestoreReport, restore

__all__ = ["ArchiveError", "ExportResult", "RestoreReport", "export_region", "load_backup_key", "restore"]
