"""AppTest drives the Shortcut learning page: the data's counts, a (short) training, the numbers it shows."""
import numpy as np
import pytest

PAGE = "shortcut.py"


@pytest.mark.parametrize("query, marker, rate", [({}, "tag", 0.95), ({"sc_rate": "0.8", "sc_marker": "stamp"}, "stamp", 0.8),
                                                  ({"sc_rate": "7"}, "tag", 0.95)])
def test_untrained_page_counts_the_marker_per_class_and_asks_to_train(app_page, query, marker, rate):
    from models.data.xray import make_lesions

    at = app_page(PAGE, **query)
    assert not at.exception
    assert any("Press **Train**" in i.value for i in at.info)
    _, y, _, _, m = make_lesions(512, 64, seed=0, shortcut=marker, shortcut_rate=rate)
    has = m.any(axis=(1, 2))
    table = at.dataframe[0].value
    assert table["images"].tolist() == [int((y == 1).sum()), int((y == 0).sum())]
    assert table["with the marker"].tolist() == [int(has[y == 1].sum()), int(has[y == 0].sum())]
    tag_only = float(((y == 1) == has).mean())  # "nodule exactly when the marker is there"
    assert any(f"right on {tag_only:.1%}" in c.value for c in at.caption)
    if query.get("sc_rate") == "7":  # a bad link is ignored, the default kept
        assert at.session_state["sc_rate"] == 0.95


@pytest.mark.slow
def test_trained_page_shows_its_models_accuracies_and_hides_one_until_predicted(app_page, monkeypatch):
    from sklearn.metrics import accuracy_score

    import models.recipes.shortcut as recipe

    # the page trains the recipe's epochs and network: shortened here to two epochs of a smaller net
    monkeypatch.setitem(recipe.SHORTCUT_RECIPE, "epochs", 2)
    monkeypatch.setitem(recipe.SHORTCUT_RECIPE, "filters", (4, 8))
    at = app_page(PAGE, timeout=400)
    at.button(key="sc_train").click().run()
    assert not at.exception
    lesson = at.session_state["sc_lesson"]
    assert lesson.epochs == 2 and set(lesson.models) == {"shortcut", "fixed"}
    metrics = {m.label: m.value for m in at.metric}
    truth = {}
    for run, model in lesson.models.items():
        xt, yt, _ = lesson.data.tests["independent"]
        truth[run] = accuracy_score(yt, model.predict(xt, verbose=0)[:, 0] > 0.5)
    xs, ys, _ = lesson.data.tests["same"]
    same = accuracy_score(ys, lesson.models["shortcut"].predict(xs, verbose=0)[:, 0] > 0.5)
    assert metrics["Shortcut, same kind"] == f"{same:.1%}"
    assert metrics["Shortcut, independent"] == "?"            # hidden until the student predicts
    assert metrics["Fixed, independent"] == f"{truth['fixed']:.1%}"
    at.radio(key="q_shortcut").set_value("Near chance (50 %)").run()
    assert not at.exception
    assert {m.label: m.value for m in at.metric}["Shortcut, independent"] == f"{truth['shortcut']:.1%}"
    assert at.success or at.warning

    # the heatmap table: the shares of the maps the page drew, recomputed here
    from explainers.saliency import compute_gradcam

    _, sel, shares = at.session_state["sc_attention"]
    table = at.dataframe[-1].value
    cam = shares["shortcut", "gradcam"]
    heat = np.stack([compute_gradcam(lesson.models["shortcut"], xs[i], class_index=1).heatmap for i in sel])
    share = float(np.mean([h[lesson.data.region].sum() / h.sum() for h in heat]))
    assert table["share on the marker"].tolist()[0] == f"{share:.0%}" == f"{cam.marker_share:.0%}"
