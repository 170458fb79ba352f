import json
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from xinli.network.models import Checklist


class Command(BaseCommand):
    help = ('Load (or replace) an inspection checklist from JSON: {"name": "...", "items": [{"code": "F1", "area": "facilities", '
            '"text": "..."}, ...]}. Codes must be unique. Plans created afterwards can use it.')

    def add_arguments(self, parser):
        parser.add_argument("file")

    def handle(self, *args, file, **options):
        try:
            data = json.loads(Path(file).read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise CommandError(f"无法读取 / cannot read {file}: {exc}") from None
        items = data.get("items") if isinstance(data, dict) else None
        name = (data.get("name") or "").strip() if isinstance(data, dict) else ""
        if not name or not isinstance(items, list) or not items:
            raise CommandError("需要 name 和非空的 items / name and a non-empty items list are required")
        codes = [i.get("code") for i in items if isinstance(i, dict)]
        bad = [n for n, i in enumerate(items, 1) if not isinstance(i, dict) or not i.get("code") or not i.get("text")]
        if bad or len(set(codes)) != len(codes):
            raise CommandError(f"第 {bad or '?'} 项缺少 code/text 或 code 重复 / items {bad or ''} need a code and a text, and codes must be unique")
        Checklist.objects.update_or_create(name=name, defaults={"items": [{"code": i["code"], "area": i.get("area", ""), "text": i["text"]} for i in items]})
        self.stdout.write(self.style.SUCCESS(f"checklist '{name}': {len(items)} items"))
