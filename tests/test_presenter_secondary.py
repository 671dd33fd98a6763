"""Presenter mode folds a page's secondary controls away; on a laptop they stay in the page."""
from __future__ import annotations

import pytest


@pytest.mark.parametrize("page, essential, secondary", [
    ("cnn.py", "Data", "Learning rate"),
    ("mlp_playground.py", "Activation", "Batch size"),
])
@pytest.mark.parametrize("present", ["0", "1"])
def test_secondary_controls_fold_into_an_expander_only_when_presenting(app_page, page, essential, secondary,
                                                                        present):
    at = app_page(page, present=present)
    assert not at.exception
    folded = [w.label for e in at.expander for w in e.get("selectbox") + e.get("select_slider")
              + e.get("number_input") + e.get("slider")]
    labels = [w.label for kind in ("selectbox", "select_slider", "number_input", "slider") for w in getattr(at, kind)]
    assert essential in labels and secondary in labels  # every control still there, same keys
    assert (secondary in folded) == (present == "1")
    assert essential not in folded
