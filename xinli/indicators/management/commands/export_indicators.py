import json
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from xinli.core import audit
from xinli.indicators.federation import PERIOD_RE, export_values
from xinli.indicators.stats import FEDERATION_OBJECT
from xinli.regions.models import OrgUnit


class Command(BaseCommand):
    help = ("Export the locally computed indicator values of an org unit and every unit under it for one period as JSON "
            "(aggregates only, no personal data), for import by a higher-level instance with import_indicators.")

    def add_arguments(self, parser):
        parser.add_argument("--org", required=True, help="12-digit code of the root unit (e.g. the city)")
        parser.add_argument("--period", required=True, help="a year (2026) or a month (2026-03)")
        parser.add_argument("--instance", default=None, help="this instance's name (default: setting XINLI_INSTANCE_NAME, else the root's code)")
        parser.add_argument("-o", "--output", default=None, help="file to write (default: standard output)")

    def handle(self, *args, org, period, instance=None, output=None, **options):
        if not PERIOD_RE.match(period):
            raise CommandError(f"--period: 年份(2026)或月份(2026-03) / a year (2026) or a month (2026-03): {period}")
        unit = OrgUnit.objects.filter(code=org, valid_to__isnull=True).first()
        if unit is None:
            raise CommandError(f"--org: 本实例没有此现行单位代码 / no current org unit with this code here: {org}")
        instance = instance or getattr(settings, "XINLI_INSTANCE_NAME", "") or unit.code
        if len(instance) > 60 or instance == "federation":
            raise CommandError("--instance: 最多 60 个字符且不能为 federation / at most 60 characters and not \"federation\"")
        doc = export_values(unit, period, instance=instance)
        text = json.dumps(doc, ensure_ascii=False, indent=1)
        if output:
            try:
                Path(output).write_text(text + "\n", encoding="utf-8")
            except OSError as e:
                raise CommandError(f"-o: 无法写入文件 / cannot write the file: {e}") from None
        # One audit entry per document handed out (the annual summary counts the data sent upward from these).
        audit.record(None, audit.Action.EXPORT, object_type=FEDERATION_OBJECT, object_id=f"{instance}:{period}:{unit.code}"[:64],
                     org_path=unit.path, detail={"instance": instance, "period": period, "root": unit.code, "rows": len(doc["values"])})
        if output:
            self.stdout.write(self.style.SUCCESS(
                f"{len(doc['values'])} values of {unit.name} ({unit.code}) for {period} from instance {instance} written to {output}"))
        else:
            self.stdout.write(text)
