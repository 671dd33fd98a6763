"""AppTest drives "When to trust a heatmap": untrained it asks for training; trained (1 epoch) its numbers
match SciPy and NumPy on the maps it computed."""
import re

import numpy as np
import pytest
from scipy.stats import spearmanr

PAGE = "trust.py"


def _text(at) -> str:
    return "\n".join([m.value for m in at.markdown] + [c.value for c in at.caption])


def test_untrained_page_asks_for_training_without_error(app_page):
    at = app_page(PAGE, timeout=180)
    assert not at.exception
    assert any("untrained" in i.value for i in at.info)
    assert "Adebayo" in _text(at)


@pytest.mark.slow
def test_trained_page_numbers_match_scipy_and_numpy_on_its_maps(app_page):
    at = app_page(PAGE, timeout=400, trust_epochs="1", trust_n="2")
    at.button(key="trust_train").click().run()
    assert not at.exception
    entry = at.session_state["trust_cnn"]
    assert len(entry.history) == 1 and len(at.session_state["trust_shuffled"].history) == 1
    checks = entry.extra["checks"]
    assert len(checks.images) == 2 and checks.data.shape[:2] == (len(checks.methods), 2)
    text = _text(at)
    # the table's "ρ, all random" column: Spearman of |maps| (SciPy) averaged over the two images
    table = at.dataframe[0].value
    for m, label in enumerate(checks.labels):
        want = np.mean([spearmanr(np.abs(a).ravel(), np.abs(b).ravel())[0] if np.ptp(a) > 0 and np.ptp(b) > 0 else 0.0
                        for a, b in zip(checks.original[m], checks.cascade[m, -1])])
        got = float(table.loc[table["method"] == label, "ρ, all random"].iloc[0])
        assert got == pytest.approx(want, abs=0.006), label
    # the share of exactly-zero gradient pixels, counted in NumPy
    share = float(np.mean(checks.original[checks.methods.index("saliency")] == 0))
    assert f"**{share:.0%}** of the pixels have a gradient of exactly 0" in text
    # completeness of integrated gradients: the page's sum and f(x) - f(x') agree to the shown precision
    total, expected = (float(v) for v in re.search(
        r"Σ attributions = \*\*([-0-9.]+)\*\*, f\(x\) − f\(baseline\) = [-0-9.]+ − [-0-9.]+ = \*\*([-0-9.]+)\*\*",
        text).groups())
    assert total == pytest.approx(expected, abs=0.1 * abs(expected) + 1e-3)
    assert "average** pooling instead" in text
