from pathlib import Path

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management.base import BaseCommand, CommandError

from xinli.accounts.models import User
from xinli.imports import services
from xinli.imports.models import ImportJob


class Command(BaseCommand):
    help = ("Import records (residents, SMD patients, plans, emergencies, closed cases) from a CSV or .xlsx file through the same mechanism as the /imports/ "
            "pages: streamed, in batches with a checkpoint, idempotent, audited. See docs/imports.md.")

    def add_arguments(self, parser):
        parser.add_argument("kind", help="residents, smd_patients, plans, emergencies or cases")
        parser.add_argument("file")
        parser.add_argument("--dry-run", action="store_true", help="check every row and write nothing")
        parser.add_argument("--strategy", default="upsert", choices=["create", "update", "upsert"])
        parser.add_argument("--user", dest="username", required=True, help="the importer (needs imports.run)")
        parser.add_argument("--batch", type=int, default=services.BATCH)
        parser.add_argument("--resume", type=int, metavar="JOB_ID", help="resume a killed import from its checkpoint")

    def handle(self, *args, kind, file, dry_run, strategy, username, batch, resume=None, **options):
        actor = User.objects.filter(username=username, is_active=True).first()
        if actor is None:
            raise CommandError(f"用户不存在 / no such active user: {username}")
        if resume:
            job = ImportJob.objects.filter(pk=resume, created_by=actor).first()
            if job is None:
                raise CommandError(f"导入任务不存在 / no such import job of this user: {resume}")
        else:
            if not Path(file).exists():
                raise CommandError(f"文件不存在 / file not found: {file}")
            with open(file, "rb") as f:
                path, digest, _size = services.store_file(file, iter(lambda: f.read(1 << 20), b""))
            try:
                job = services.create_job(actor, kind=kind, strategy=strategy, dry_run=dry_run,
                                          file_name=Path(file).name, path=path, digest=digest)
            except PermissionDenied:
                raise CommandError(f"无导入权限 / {username} may not import (needs imports.run)") from None
            except ValidationError as exc:
                raise CommandError("; ".join(exc.messages)) from None
        job = services.run(job.pk, batch_size=batch)
        for p in job.problems.all().iterator():
            self.stderr.write(f"line {p.line} {p.column}: {p.message}")
        self.stdout.write(f"job {job.pk} {job.state}{' (dry run, nothing written)' if job.dry_run else ''}: "
                          f"created {job.created}, updated {job.updated}, unchanged {job.unchanged}, refused {job.refused}; "
                          f"rows {job.rows_done}; sha256 {job.digest}")
        if job.state == ImportJob.State.FAILED:
            raise CommandError(job.error)
