"""Fuzz: ``manage.py import_indicators`` on random bytes and arbitrary JSON: success or one clear CommandError."""

import json
import tempfile

import pytest
from django.core.management import CommandError, call_command
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

FUZZ = settings(max_examples=40, derandomize=True, database=None, deadline=None,
                suppress_health_check=list(HealthCheck))
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=15),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=10), children, max_size=4),
    max_leaves=15)
documents = st.fixed_dictionaries({}, optional={
    "instance": json_values, "period": json_values | st.sampled_from(["2025", "2025-Q1", "2025-13"]),
    "root": json_values | st.just("370000000000"), "values": st.lists(st.dictionaries(
        st.sampled_from(["code", "org_unit", "value", "numerator", "denominator", "breakdown"]), json_values), max_size=3),
})


def _run(data: bytes):
    with tempfile.NamedTemporaryFile(suffix=".json") as f:
        f.write(data)
        f.flush()
        try:
            call_command("import_indicators", f.name, stdout=open("/dev/null", "w"), stderr=open("/dev/null", "w"))
        except CommandError as exc:
            assert str(exc).strip()


@pytest.mark.django_db
@FUZZ
@given(data=st.binary(max_size=300))
def test_random_bytes(data):
    _run(data)


@pytest.mark.django_db
@FUZZ
@given(doc=json_values | documents)
def test_any_json_document(tree, doc):
    _run(json.dumps(doc).encode())
