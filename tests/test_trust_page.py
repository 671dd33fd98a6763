"""AppTest drives "When to trust a heatmap": untrained it asks for training; trained (1 epoch) its numbers
match SciPy and NumPy on the maps it computed; the average-pooling twin trains only on its own button."""
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
    # completeness of integrated gradients: the page's f(x) and f(baseline) are model.predict's, and its sum
    # of attributions is within 1 % of their difference (to the 4 decimals shown)
    total, f_x, f_0, expected = (float(v) for v in re.search(
        r"Σ attributions = \*\*([-0-9.]+)\*\*, f\(x\) − f\(baseline\) = ([-0-9.]+) − ([-0-9.]+) = \*\*([-0-9.]+)\*\*",
        text).groups())
    image = checks.images[0]
    p_x, p_0 = entry.model.predict(np.stack([image, np.zeros_like(image)]), verbose=0)[:, 0]
    assert (f_x, f_0) == pytest.approx((p_x, p_0), abs=6e-5)
    assert expected == pytest.approx(p_x - p_0, abs=1.2e-4)
    assert abs(total - expected) <= 0.01 * abs(expected) + 1e-4
    assert "the probability (not the score before the sigmoid)" in text
    # the span of the score along the path, from model.predict at the page's path points
    ig = entry.extra["ig"][0]
    path = entry.model.predict(ig.alphas[:, None, None, None] * image[None], verbose=0)[:, 0].astype(np.float64)
    assert f"it spans {np.ptp(path):.2f}, {np.ptp(path) / abs(p_x - p_0):.1f}× its net change" in text
    # the 64 even steps' misses in the caption: the trapezoid rule recomputed on each image
    from explainers.attribution import compute_integrated_gradients

    misses = []
    for im in checks.images:
        u = compute_integrated_gradients(entry.model, im, steps=64, method="trapezoid")
        p = entry.model.predict(np.stack([im, np.zeros_like(im)]), verbose=0)[:, 0].astype(np.float64)
        misses.append(abs(u.attributions.sum() - (p[0] - p[1])) / abs(p[0] - p[1]))
    assert f"64 even steps miss by up to {max(misses):.0%} ({sum(m > 0.01 for m in misses)} of 2 above 1 %)" in text
    # Grad-CAM++ and Grad-CAM's share of their maps' mass in the outer 4-pixel band, by a mask
    band = np.ones((64, 64), bool)
    band[4:-4, 4:-4] = False
    for name, label in (("gradcam_plus_plus", "Grad-CAM++ puts **"), ("gradcam", "Grad-CAM **")):
        maps = np.abs(checks.original[checks.methods.index(name)])
        share = np.mean([(m * band).sum() / m.sum() for m in maps if m.sum() > 0])  # an all-zero map has no share
        assert f"{label}{share:.0%}**" in text, name
    assert "band (23% of the image)" in text
    # the average-pooling twin is not trained by Train (it cost a fifth of the wait): it trains on its own
    # button, to the max-pooled net's epochs, and only then is its experiment reported
    assert "trust_gap" not in at.session_state and "Every position now reaches the score" not in text
    at.button(key="trust_twin_train").click().run()
    assert not at.exception, at.exception
    twin = at.session_state["trust_gap"]
    assert len(twin.history) == len(entry.history) == 1
    tw = twin.extra["checks"]
    rho = tw.cascade_spearman_abs[tw.methods.index("saliency"), tw.head_steps - 1]
    text = _text(at)
    assert f"validation accuracy {twin.history.history['val_accuracy'][-1]:.0%}" in text
    assert f"moves the gradient map to ρ = **{rho:.2f}**" in text
    assert not [b for b in at.button if b.key == "trust_twin_train"]  # trained: the offer is gone
