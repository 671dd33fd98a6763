"""The overfitting page: the lecture's count on screen, the count follows the controls, training keeps its result."""
from __future__ import annotations

import numpy as np


def _text(at) -> str:
    return " ".join(m.value for m in [*at.markdown, *at.caption, *at.subheader])


def test_the_page_shows_lecture_000s_count_and_keras_agreement(app_page):
    at = app_page("overfitting.py")
    assert not at.exception, at.exception
    text = _text(at)
    assert "**196,610,001**" in text and "196,608 × 1,000 + 1,000" in text and "**196,609,000**" in text
    assert "**28,000**" in text                      # one conv layer with 1000 filters: (3·3·3 + 1)·1000
    assert "786 MB" in text                          # 196,610,001 × 4 bytes
    assert "has 1,026,001 parameters (formula: 1,026,001)" in text  # Keras' count_params on 32 × 32 × 1
    headers = " ".join(h.value for h in at.subheader)
    for part in ("196,610,001", "dense net against a conv net", "Capacity and data", "Regularisers"):
        assert part in headers
    assert sum(b.label == "Train" for b in at.button) == 3


def test_the_count_follows_the_image_and_the_hidden_layer(app_page):
    at = app_page("overfitting.py", of_side="64", of_channels="1", of_hidden="10")
    assert not at.exception, at.exception
    expected = 64 * 64 * 10 + 10 + 10 + 1                # previous × current + bias, twice
    assert f"**{expected:,}**" in _text(at)


def test_a_bad_url_setting_is_ignored_not_a_crash(app_page):
    at = app_page("overfitting.py", of_side="300", of_hidden="-4")
    assert not at.exception, at.exception
    assert "**196,610,001**" in _text(at)


def test_train_dense_vs_conv_keeps_both_runs_and_shows_their_numbers(app_page):
    at = app_page("overfitting.py", timeout=240, of_dc_n="32", of_dc_epochs="5", of_hidden="50")
    next(b for b in at.button if b.label == "Train").click().run()
    assert not at.exception, at.exception
    result = at.session_state["of_dc_result"]
    assert result.runs == ("dense", "conv") and result.epochs == 5
    assert result.parameters["dense"] == 32 * 32 * 50 + 50 + 50 + 1
    for curves in result.curves.values():
        assert len(curves["val_accuracy"]) == 5 and np.isfinite(curves["val_loss"]).all()
    text = _text(at)
    assert f"| dense | {result.parameters['dense']:,} | 32 | 5 |" in text
    assert f"{result.final('conv'):.3f} (conv)" in text
    at.run()  # a rerun keeps the result
    assert at.session_state["of_dc_result"] is result
