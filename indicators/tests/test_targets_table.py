"""The proposals over the whole 2019 annex against the table written by hand
from its 54 task texts (data/targets-2019.json, committed before the parser):
every target in the table is found with its direction, value and unit, and
nothing else is proposed — no year, name, scope or restatement."""

import json
from decimal import Decimal
from pathlib import Path

import pytest

from indicators.targets import targets_propose

DATA = Path(__file__).parent / "data" / "targets-2019.json"
ANNEX = Path(__file__).parents[2] / "fixtures" / "xiaoshan-2019-annex.expected.json"


def _texts() -> dict[str, str]:
    return {
        item["code"]: item["task"] for item in json.loads(ANNEX.read_text(encoding="utf-8"))["indicators"]
    }


def _table() -> dict:
    return json.loads(DATA.read_text(encoding="utf-8"))["indicators"]


def _values(target) -> tuple:
    get = target.get if isinstance(target, dict) else lambda name: getattr(target, name)
    return tuple(
        None if get(k) is None else Decimal(str(get(k))) for k in ("value", "value_min", "value_max")
    )


def _span(text: str, quote: str) -> tuple[int, int]:
    start = text.find(quote)
    assert start >= 0, quote
    return start, start + len(quote)


def compare(texts: dict[str, str], table: dict) -> dict:
    """Counts and the differences, indicator by indicator."""
    counts = {"in table": 0, "found": 0, "wrong": 0, "missed": 0, "spurious": 0, "names equal": 0}
    problems = []
    for code, text in texts.items():
        proposals = targets_propose(text)
        unmatched = list(proposals)
        for wanted in table[code]["targets"]:
            counts["in table"] += 1
            begin, end = _span(text, wanted["quote"])
            match = next(
                (p for p in unmatched if p.start < end and begin < p.end and _values(p) == _values(wanted)),
                None,
            )
            if match is None:
                counts["missed"] += 1
                problems.append(f"{code}: missed {wanted['name']} {wanted['direction']} {_values(wanted)}")
                continue
            unmatched.remove(match)
            if (match.direction, match.unit, match.implied) == (
                wanted["direction"],
                wanted["unit"],
                wanted.get("implied", False),
            ):
                counts["found"] += 1
            else:
                counts["wrong"] += 1
                problems.append(f"{code}: {wanted['name']}: {match.direction} {match.unit} {match.implied}")
            counts["names equal"] += match.name == wanted["name"]
        for proposal in unmatched:
            counts["spurious"] += 1
            problems.append(f"{code}: spurious {proposal.name} {proposal.quote}")
        for never in table[code]["not_targets"]:
            begin, end = _span(text, never)
            for proposal in proposals:
                if begin <= proposal.at < end:
                    problems.append(f"{code}: proposed from “{never}”: {proposal.quote}")
    return {"counts": counts, "problems": problems}


def test_it_proposes_exactly_the_hand_written_targets_of_the_2019_annex(capsys):
    texts, table = _texts(), _table()
    assert set(texts) == set(table)

    result = compare(texts, table)

    with capsys.disabled():
        print("\n2019 annex targets:", ", ".join(f"{k} {v}" for k, v in result["counts"].items()))
    assert result["problems"] == []
    counts = result["counts"]
    assert counts["in table"] == 59
    assert counts["found"] == 59


@pytest.mark.parametrize("kind", ["explicit", "chinese", "implied"])
def test_it_finds_each_kind_of_target_in_the_table(kind):
    texts, table = _texts(), _table()
    selected = {
        code: {
            "targets": [
                t
                for t in entry["targets"]
                if kind
                == (
                    "implied"
                    if t.get("implied")
                    else "chinese"
                    if t.get("numerals") == "chinese"
                    else "explicit"
                )
            ],
            "not_targets": [],
        }
        for code, entry in table.items()
    }

    counts = compare(texts, selected)["counts"]

    assert counts["found"] == counts["in table"] == {"explicit": 51, "chinese": 2, "implied": 6}[kind]


def test_it_keeps_the_table_quotes_exact_substrings_of_the_texts():
    texts, table = _texts(), _table()
    for code, entry in table.items():
        for target in entry["targets"]:
            assert target["quote"] in texts[code], (code, target["quote"])
            assert target["direction"] in (">=", "<=", "range")
        for never in entry["not_targets"]:
            assert never in texts[code], (code, never)
