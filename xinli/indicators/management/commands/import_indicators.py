import json
from pathlib import Path

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from xinli.indicators.federation import import_values


class Command(BaseCommand):
    help = ("Import indicator values exported by another instance (export_indicators) and re-aggregate the units above "
            "the file's root. Nothing is written if any value is bad; values computed here are never overwritten.")

    def add_arguments(self, parser):
        parser.add_argument("file")

    def handle(self, *args, file, **options):
        path = Path(file)
        if not path.is_file():
            raise CommandError(f"文件不存在 / file not found: {file}")
        try:
            doc = json.loads(path.read_text(encoding="utf-8-sig"))
        except (UnicodeDecodeError, json.JSONDecodeError) as e:
            raise CommandError(f"不是有效的 JSON 文件 / not a valid JSON file: {e}") from None
        try:
            result = import_values(doc)
        except ValidationError as e:
            messages = [m for ms in e.message_dict.values() for m in ms] if hasattr(e, "error_dict") else e.messages
            for m in messages:
                self.stderr.write(m)
            raise CommandError(f"{len(messages)} 处错误，未写入任何数据 / {len(messages)} errors; nothing was written") from None
        for code, org, breakdown in result.kept_local:
            self.stdout.write(self.style.WARNING(
                f"{code} {org} {breakdown or 'all'}: 本实例计算的值未被覆盖 / computed here, left as it is"))
        self.stdout.write(self.style.SUCCESS(
            f"instance {result.instance}, period {result.period}, root {result.root}: imported {result.imported}, "
            f"aggregated {result.aggregated}, removed {result.removed}, kept local {len(result.kept_local)}"))
