"""The event-log reports' home (journeys.event_reports) and their old names."""

import pandas as pd
import pytest

import pathcredit.reports as reports
from pathcredit.journeys import event_reports, events


def _log():
    # a: email, search, conversion (2 touches); b: search, conversion (1 touch)
    return pd.DataFrame(
        {
            "user_id": ["a", "a", "a", "b", "b"],
            "timestamp": pd.to_datetime(
                ["2024-01-01", "2024-01-02", "2024-01-03", "2024-01-01", "2024-01-02"]
            ),
            "channel": ["email", "search", None, "search", None],
            "conversion": [0, 0, 1, 0, 1],
        }
    )


def test_old_homes_re_export_the_same_functions():
    assert reports.time_lag_report is event_reports.time_lag_report
    assert reports.journey_length_report is event_reports.journey_length_report
    assert events.time_lag_report is event_reports.time_lag_report
    assert reports.REPORT_COLUMNS == event_reports.REPORT_COLUMNS


def test_path_length_report_of_events_is_a_deprecated_alias():
    ej = events.build_journeys(_log())
    with pytest.warns(DeprecationWarning, match="journey_length_report"):
        old = events.path_length_report(ej)
    new = event_reports.journey_length_report(ej)
    pd.testing.assert_frame_equal(old, new)
    # one journey of each length 1 and 2, counted by hand from the log above
    assert new.set_index("bucket").conversions.loc[["1", "2", "3"]].tolist() == [1.0, 1.0, 0.0]
