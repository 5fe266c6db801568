"""The forecast rows of an SPU/SPG page are read as raw SQL: their horizon is shown by its label in
the reader's language, never as the stored value (issue 15, Swedish throughout)."""

from __future__ import annotations

from django.utils import translation

from forecasts.templatetags.forecast_labels import horizon_label


def test_each_horizon_is_shown_by_its_label_in_the_readers_language():
    with translation.override("sv"):
        assert horizon_label("day_ahead") == "Dagen före"
        assert {horizon_label(value) for value in ("day_ahead", "intraday", "near_real_time")}.isdisjoint(
            {"day_ahead", "intraday", "near_real_time"}
        )
    with translation.override("en"):
        assert horizon_label("intraday") == "Intraday"
    assert horizon_label("unknown") == "unknown"
