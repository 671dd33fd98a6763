"""The Cross-entropy and Layers-as-matrices pages open, train with their defaults, and show the numbers."""
from __future__ import annotations

import pytest


@pytest.mark.slow
@pytest.mark.parametrize("page, expected", [
    ("cross_entropy.py", "every point right after"),
    ("layers_as_matrices.py", "One hidden layer lets the inputs interact"),
])
def test_page_opens_trains_with_defaults_and_reports(app_page, page, expected):
    at = app_page(page, timeout=300)
    assert not at.exception and not at.error
    next(b for b in at.button if b.label == "Train").click().run(timeout=300)
    assert not at.exception and not at.error
    shown = [m.value for m in at.markdown] + [c.value for c in at.caption]
    assert any(expected in text for text in shown)


def test_matrices_page_answers_question_3_after_a_prediction(app_page):
    at = app_page("layers_as_matrices.py")
    assert not at.exception
    radio = next(r for r in at.radio if r.key == "q_q3")
    radio.set_value("Yes").run()
    assert any(s.value.startswith("Yes.") for s in at.success)


def test_cross_entropy_page_shows_the_mean_of_its_examples(app_page):
    at = app_page("cross_entropy.py")
    assert not at.exception
    shown = " ".join(m.value for m in at.markdown)
    assert "1.0331" in shown  # the categorical examples' mean at T = 1 (= keras, tests/test_cross_entropy.py)
