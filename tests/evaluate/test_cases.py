"""Hand-made linking cases: reading them and scoring predicted mentions against them."""

from dataclasses import dataclass

import pytest

from jointel.data import DataFormatError
from jointel.evaluate.cases import LinkCase, read_link_cases, score_link_cases


@dataclass
class Found:
    text: str
    entity: str | None


def test_read_link_cases_and_a_malformed_line_names_it(tmp_path):
    path = tmp_path / "cases.jsonl"
    path.write_text(
        '{"text": "SpaceX flew.", "links": [["SpaceX", "SpaceX"]]}\n\n{"text": "x", "links": [["y", "Y"]]}\n'
    )
    with pytest.raises(DataFormatError, match=r"cases.jsonl:3: expected"):  # "y" is not in the text
        read_link_cases(path)
    path.write_text('{"text": "SpaceX flew.", "links": [["SpaceX", "SpaceX"]]}\n')
    assert read_link_cases(path) == [LinkCase("SpaceX flew.", (("SpaceX", "SpaceX"),))]


def test_score_link_cases_compares_titles_case_and_accent_blind():
    cases = [
        LinkCase(
            "SpaceX and Beyoncé and Uber and Lyft", (("SpaceX", "SpaceX"), ("Beyoncé", "Beyoncé"), ("Uber", "Uber"))
        ),
        LinkCase("Lyft", (("Lyft", "Lyft"),)),
    ]
    predicted = [[Found("SpaceX", "Spacex"), Found("Beyoncé", "Beyonce"), Found("Uber", None)], []]
    outcomes = score_link_cases(cases, predicted)
    assert [(o.mention, o.found, o.linked, o.right) for o in outcomes] == [
        ("SpaceX", True, "Spacex", True),
        ("Beyoncé", True, "Beyonce", True),
        ("Uber", True, None, False),
        ("Lyft", False, None, False),
    ]
