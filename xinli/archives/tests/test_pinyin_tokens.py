"""The name's pinyin tokens (blind-indexed for search) come from one pypinyin conversion: the initials must equal
pypinyin's own FIRST_LETTER style for every kind of name, so records indexed before and after stay searchable."""

import pytest
from pypinyin import Style, lazy_pinyin

from xinli.archives.normalize import normalize_name, pinyin_full, pinyin_initials

NAMES = ["张三丰", "单田芳", "曾国藩", "解晓东", "吕绿", "欧阳娜娜", "阿依古丽·买买提", "李 Lily", "王2号", "居民12345", "",
         "乐嘉", "重庆", "朴树", "区小平", "尉迟恭", "Ōno", "〇一"]


@pytest.mark.parametrize("name", NAMES)
def test_initials_as_pypinyin_first_letter(name):
    normal = normalize_name(name)
    expected = "".join(p[0] for p in lazy_pinyin(normal, style=Style.FIRST_LETTER, errors=lambda s: list(s)) if p).lower()
    assert pinyin_initials(name) == expected
    assert pinyin_full(name) == "".join(lazy_pinyin(normal, style=Style.NORMAL, errors=lambda s: list(s))).lower()


def test_examples():
    assert (pinyin_initials("张三丰"), pinyin_full("张三丰")) == ("zsf", "zhangsanfeng")
