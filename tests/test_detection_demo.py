"""The Object detection page's ready-trained demo: saved after a first run, loaded with its AP curve, offered only
for the settings it was trained with."""
from __future__ import annotations

import numpy as np
import pytest

LOAD = "Load the trained demo"


def _markdown(at) -> str:
    return "\n".join(m.value for m in at.markdown)


@pytest.mark.slow
def test_a_trained_run_is_offered_to_a_new_session_which_loads_its_weights_and_ap_curve(app_page, tmp_path,
                                                                                         monkeypatch):
    monkeypatch.setenv("MEDLENS_CACHE", str(tmp_path))
    from app_pages.ui import demo_cache

    demo_cache.clear()  # the server's cache object follows the folder set above
    try:
        # One epoch keeps the test short; the saved demo is keyed by the epochs, so the new sessions ask for one too.
        first = app_page("detection.py", timeout=300, det_epochs="1")
        assert not any(b.label == LOAD for b in first.button)  # nothing trained on this server yet
        next(b for b in first.button if b.label == "Train").click().run()
        assert not first.exception
        assert len(list(tmp_path.glob("demos/detection-*.keras"))) == 1

        second = app_page("detection.py", timeout=300, det_epochs="1")
        assert "Press **Train**" in "\n".join(i.value for i in second.info)  # untrained until loaded
        assert any(b.label == LOAD for b in second.button)
        second.select_slider(key="det_lr").set_value(0.01).run()  # another learning rate: another run, no offer
        assert not second.exception and not any(b.label == LOAD for b in second.button)
        second.select_slider(key="det_lr").set_value(0.005).run()
        next(b for b in second.button if b.label == LOAD).click().run()
        assert not second.exception
        shown = [c.value for c in second.caption if c.value.startswith("Showing the ready-trained demo")]
        assert shown and "1 epochs" in shown[0]
        a, b = first.session_state["det_model"], second.session_state["det_model"]
        assert a.model is not b.model
        for wa, wb in zip(a.model.get_weights(), b.model.get_weights()):
            np.testing.assert_array_equal(wa, wb)
        ma, mb = a.extra["monitor"], b.extra["monitor"]
        assert mb.epochs == [1] and mb.ap10 == ma.ap10 and mb.ap50 == ma.ap50  # the run's curve, from the file
        assert mb.losses["loss"] == ma.losses["loss"]
        text = _markdown(second)
        # the numbers the page shows are measured on the loaded weights, and agree with the run that trained them
        assert f"AP at IoU 0.1 **{ma.ap10[-1]:.3f}**" in text and f"at IoU 0.5 **{ma.ap50[-1]:.3f}**" in text
        assert f"here **{ma.metrics.froc_score:.3f}**" in text  # the PR and FROC tab: filled as after a training
        assert not any(b.label == LOAD for b in second.button)  # loaded: the offer is gone
    finally:
        demo_cache.clear()
