import pytest

from xinli.hotline.models import Line, Seat


@pytest.fixture
def line(tree):
    line = Line.objects.create(name="青岛市心理援助热线", number="12356", org_unit=tree.county_a)
    Seat.objects.create(line=line, label="A1")
    return line
