"""Path reports, checked against counts worked out by hand."""

import numpy as np
import pytest

from pathcredit import Journeys, path_reports


@pytest.fixture
def j():
    return Journeys.from_paths(
        [["A", "B", "A"], ["B", "C"], ["C"], ["A", "C"], ["B"]],
        conversions=[2, 1, 4, 0, 3],
        value=[20.0, 5.0, 8.0, 0.0, 9.0],
        nulls=[1, 2, 3, 4, 5],
    )


def test_channel_report_by_hand(j):
    ch = path_reports(j).channels.set_index("channel")
    # first: A: path1 (2); B: path2 (1) + path5 (3); C: path3 (4); path4 has no conversion
    assert ch["first_interaction_conversions"].to_dict() == {"A": 2.0, "B": 4.0, "C": 4.0}
    assert ch["first_interaction_value"].to_dict() == {"A": 20.0, "B": 14.0, "C": 8.0}
    # last: A: path1 (2); B: path5 (3); C: path2 (1) + path3 (4)
    assert ch["last_interaction_conversions"].to_dict() == {"A": 2.0, "B": 3.0, "C": 5.0}
    # assisted: A on path1 before the end (2) -- once, though A also closes it;
    # B on path1 (2) and path2 (1); C never before the end
    assert ch["assisted_conversions"].to_dict() == {"A": 2.0, "B": 3.0, "C": 0.0}
    assert ch["assisted_value"].to_dict() == {"A": 20.0, "B": 25.0, "C": 0.0}
    assert ch["assisted_last_ratio"].tolist() == pytest.approx([1.0, 1.0, 0.0])


def test_ratio_is_empty_when_a_channel_never_closes():
    j = Journeys.from_paths([["A", "B"]], conversions=[1])
    ch = path_reports(j).channels.set_index("channel")
    assert np.isnan(ch.loc["A", "assisted_last_ratio"])
    assert np.isnan(ch.loc["A", "first_interaction_value"])  # no value column


def test_top_paths_and_path_length(j):
    rep = path_reports(j, top=3)
    assert rep.top_paths["path"].tolist() == ["C", "B", "A > B > A"]
    assert rep.top_paths["share"].tolist() == pytest.approx([0.4, 0.3, 0.2])
    pl = rep.path_length.set_index("length")
    assert pl["conversions"].to_dict() == {1: 7.0, 2: 1.0, 3: 2.0}
    assert pl["nulls"].to_dict() == {1: 8.0, 2: 6.0, 3: 1.0}
    d = rep.to_dict()
    assert d["top_paths"][0] == {
        "path": "C",
        "length": 1,
        "conversions": 4.0,
        "value": 8.0,
        "share": 0.4,
    }
    assert "<h4>" in rep._repr_html_()


def test_last_interaction_equals_last_touch_model(j):
    from pathcredit import attribute

    ch = path_reports(j).channels
    np.testing.assert_allclose(
        ch["last_interaction_conversions"], attribute(j, model="last_touch").conversions
    )
    np.testing.assert_allclose(
        ch["first_interaction_conversions"], attribute(j, model="first_touch").conversions
    )


def test_path_reports_refuse_empty_journeys_and_bad_top():
    from pathcredit import InputError, Journeys, path_reports

    with pytest.raises(InputError, match="no paths in the input"):
        path_reports(Journeys.from_paths([], conversions=[]))
    j = Journeys.from_paths([["A"]], conversions=[1])
    with pytest.raises(InputError, match="top must be a whole number"):
        path_reports(j, top=-1)
    with pytest.raises(InputError, match="top must be a whole number"):
        path_reports(j, top="3")
