import json

import pytest
from django.core.management import call_command


def run(capsys, *args):
    call_command("score", *args)
    return json.loads(capsys.readouterr().out)


def test_cli_prints_one_json_object(capsys):
    out = run(capsys, "phq9", *["3"] * 9)
    assert out["scale"] == "phq9" and out["total"] == 27 and out["band"] == "severe" and out["critical"] == ["9"]
    assert out["subscales"] == {}


def test_cli_missing_yes_no_and_sex(capsys):
    assert run(capsys, "k10", *["3"] * 9, "-")["total"] == 30
    assert run(capsys, "gds15", *["yes"] * 15)["total"] == 10
    assert run(capsys, "auditc", "1", "1", "1", "--sex", "female")["band"] == "positive"
    assert run(capsys, "audit", "0", *["-"] * 7, "4", "4")["total"] == 8
    assert run(capsys, "pcl5", *["2"] * 20)["subscales"] == {"B": 10, "C": 4, "D": 14, "E": 12}


@pytest.mark.parametrize("args", [["phq9", "1", "2"], ["phq9", *["5"] * 9], ["nope", "1"], ["auditc", "1", "1", "1"]])
def test_cli_invalid_input_exits_2_with_one_line(capsys, args):
    with pytest.raises(SystemExit) as e:
        call_command("score", *args)
    assert e.value.code == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and " / " in err


def test_cli_lists_instruments(capsys):
    call_command("score", "--list")
    out = capsys.readouterr().out
    assert "phq9" in out and "scl90" in out and "licence-restricted" in out
