"""The departments the pilot plan names (试点方案 一、三(三) "各部门职责"), loaded as data by migration
``regions.0005``: the 政法委 through the 综治 centres leads; each other department has its part. A region adds more in
``manage.py import_departments``; a department is never deleted (``active`` off instead) because orders keep pointing at it."""

from __future__ import annotations

# (code, Chinese name, English name, sort); the first is the leading department.
DEFAULTS = [
    ("zongzhi", "政法委（综治）", "Political-legal committee (comprehensive governance)", 10),
    ("health", "卫生健康", "Health commission", 20),
    ("education", "教育", "Education", 30),
    ("civil_affairs", "民政", "Civil affairs", 40),
    ("public_security", "公安", "Public security", 50),
    ("justice", "司法行政", "Justice", 60),
    ("petitions", "信访", "Letters and visits (petitions)", 70),
    ("hrss", "人力资源社会保障", "Human resources and social security", 80),
    ("medical_insurance", "医疗保障", "Medical insurance", 90),
    ("disability", "残联", "Disabled persons' federation", 100),
    ("women", "妇联", "Women's federation", 110),
    ("youth", "共青团", "Communist Youth League", 120),
    ("union", "工会", "Trade unions", 130),
]
LEAD = "zongzhi"


def ensure_defaults(Department=None) -> None:
    """Create the default departments that are missing (migration ``regions.0005``; a test database flushed by a
    transactional test, or the demo seed, calls it again)."""
    if Department is None:
        from .models import Department
    for code, name, name_en, sort in DEFAULTS:
        Department.objects.get_or_create(code=code, defaults={"name": name, "name_en": name_en, "sort": sort, "lead": code == LEAD})
