"""Every model the app's pages train, built in one place, with the settings each page offers.

The pages call these builders, and :func:`page_trainings` lists every model a
page can build (each option of its model controls, at the page's input shape,
batch size and learning rate), so the smoke test trains exactly what a
student can make the server train, each in a subprocess: a native crash
(see :mod:`models.onednn`) fails a test instead of killing a workshop.

Every builder takes ``seed=`` (a fixed default) and passes it to the model's
initialisers: the same settings give the same starting net in any session,
while other sessions build theirs, without a global seed.

Run ``python -m models.page_models`` to train them all here, one or two
epochs each; ``--page residual`` for one page.
"""
from __future__ import annotations

import argparse
import functools
import sys
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

__all__ = [
    "LANDSCAPE_MODELS", "LANDSCAPE_LEARNING_RATES", "RESIDUAL_DEPTHS", "CNN_FILTERS", "SEGMENTATION_FILTERS",
    "SEGMENTATION_DEPTHS", "PLAYGROUND_ACTIVATIONS", "landscape_model", "residual_net", "lesion_cnn",
    "saliency_cnn", "pooling_cnn", "trust_cnn", "volume_cnn", "notes_attention", "patch_attention", "receptive_field_model", "PageTraining",
    "page_trainings", "run", "main",
]

# ------------------------------------------------------------------ options the pages offer
LANDSCAPE_MODELS = ("logistic", "mlp", "cnn", "resnet")
#: a learning rate that makes each landscape model learn in a few epochs (Adam); 0.05 left the CNN at chance
LANDSCAPE_LEARNING_RATES = {"logistic": 0.05, "mlp": 0.05, "cnn": 3e-3, "resnet": 3e-3}
RESIDUAL_DEPTHS = (2, 4, 6, 8, 10)
CNN_FILTERS = ("8,16", "16,32", "32,64")
SEGMENTATION_FILTERS = (4, 8, 16)
SEGMENTATION_DEPTHS = (1, 2, 3)
PLAYGROUND_ACTIVATIONS = ("relu", "tanh", "sigmoid", "leaky_relu")


def landscape_model(name: str, *, seed: int = 0):
    """The loss-landscape page's models: small enough to evaluate a 31×31 grid live."""
    from models.zoo import build_model

    if name == "resnet":
        return build_model("resnet", blocks=(1, 1), base_filters=8, seed=seed)
    if name == "cnn":
        return build_model("cnn", filters=(8, 16), dense_units=16, seed=seed)
    return build_model(name, seed=seed)


def residual_net(depth: int, residual: bool, *, seed: int = 0):
    """The residual page's pair: 8×8 digits, one stage of ``depth`` blocks, no BatchNorm.

    The plain and the residual net of one depth and seed start from the same convolutions.
    """
    from models import build_resnet

    # no BatchNorm: the plain net shows the degradation clearly, and inference == training mode
    return build_resnet((8, 8, 1), 10, blocks=(int(depth),), residual=residual, base_filters=8, batch_norm=False,
                        seed=seed)


def lesion_cnn(filters: str | tuple[int, ...] = (16, 32), input_shape=(64, 64, 1), n_classes: int = 2, *,
               seed: int = 1):
    """The CNN page's classifier; ``filters`` as the page's "8,16" text or a tuple.

    Seed 1 by default: from it the "8,16" net learns the lesions within two epochs
    whatever the batch order (from seed 0 it stays at chance for two epochs).
    """
    from models import build_cnn

    if isinstance(filters, str):
        filters = tuple(int(v) for v in filters.split(","))
    return build_cnn(tuple(input_shape), n_classes, filters=tuple(filters), seed=seed)


def saliency_cnn(*, seed: int = 0):
    """The saliency page's nodule classifier (the builder's defaults)."""
    from models import build_cnn

    return build_cnn((64, 64, 1), seed=seed)


def notes_attention(vocab: int, seq_len: int, *, seed: int = 0):
    """The attention page's note classifier: 3 classes, 16-dimensional embeddings."""
    from models import build_attention_classifier

    return build_attention_classifier(vocab, seq_len, 3, 16, seed=seed)


def patch_attention(*, seed: int = 0):
    """The attention page's image model: 8×8 patches of a 64×64 scan."""
    from models import build_patch_attention

    return build_patch_attention((64, 64, 1), 8, 2, 32, batch_norm=True, seed=seed)


def receptive_field_model(name: str, *, seed: int = 0):
    """The receptive-field page's trainable models ("our CNN", "our ResNet")."""
    from models import build_cnn, build_resnet

    if name == "our CNN":
        return build_cnn((64, 64, 1), 2, seed=seed)
    return build_resnet((64, 64, 1), 2, seed=seed)


# ------------------------------------------------------------------ every training a page can start
@dataclass(frozen=True)
class PageTraining:
    """One model a page can train, with the page's data shape and training settings."""

    page: str
    label: str
    build: Callable[[], Any]
    data: Callable[[int], tuple[Any, Any]]
    learning_rate: float
    batch_size: int = 32
    loss: Any = None


def pooling_cnn(*, seed: int = 0):
    """The pooling page's GAP-head CNN (its recipe's settings)."""
    from models.recipes.pooling import build_pooling_cnn

    return build_pooling_cnn(seed=seed)


def trust_cnn(global_pooling: str = "max", *, seed: int = 1):
    """The trust page's lesion CNN (``build_cnn``) or its global-average-pooling twin (sanity recipe)."""
    from models.recipes.sanity import build_sanity_cnn

    return build_sanity_cnn(global_pooling, seed=seed)


def volume_cnn(kind: str = "3-D", *, seed: int = 0):
    """The volumes page's 3-D CNN, or the 2-D CNN it is compared with on axial slices (the recipe's settings)."""
    from dataclasses import replace

    from models.recipes.volumes import DEFAULT_VOLUME_RECIPE, build_slice_cnn, build_volume_cnn

    recipe = replace(DEFAULT_VOLUME_RECIPE, seed=seed)
    return build_volume_cnn(recipe) if kind == "3-D" else build_slice_cnn(recipe)


def _volumes(n: int):
    from models.data import make_nodules3d

    x, y, _ = make_nodules3d(max(n, 2), 32, seed=0)
    return x, y


def _volume_slices(n: int):
    from models.data import make_nodules3d
    from models.recipes.volumes import axial_slices

    x, _, masks = make_nodules3d(max(n // 8, 2), 32, seed=0)
    return axial_slices(x, masks)


def _shortcut_lesions(n: int):
    from models.data import make_lesions

    x, y, _, _, _ = make_lesions(n, 64, seed=0, shortcut="tag", shortcut_rate=0.95)
    return x, y


def _nodules(n: int):
    from models.recipes.detection import DetectionRecipe, detection_data

    d = detection_data(DetectionRecipe(n_train=n, n_val=1))
    return d.x, d.y


def _detection_loss(y_true, y_pred):
    from models.detector import detection_loss  # imported when training starts, not when the list is made

    return detection_loss(y_true, y_pred)


def _detector():
    from models.recipes.detection import build_detection_model

    return build_detection_model()


def _lesions(n: int):
    from models.data import make_lesions

    x, y, _, _ = make_lesions(n, 64, seed=0)
    return x, y


def _zoo(name: str, n: int):
    from models.zoo import demo_data

    (x, y), _, _ = demo_data(name, n=max(n, 8), seed=0)
    return x, y


def _digits(n: int):
    from models.data import load_digits

    x, y = load_digits()
    return x[:n], y[:n]


def _notes(n: int):
    from models.data import make_clinical_notes

    notes = make_clinical_notes(n, seed=0)
    return notes.tokens, notes.labels


def _notes_model():
    from models.data import make_clinical_notes

    notes = make_clinical_notes(8, seed=0)
    return notes_attention(len(notes.vocabulary), notes.tokens.shape[1])


def _points(n: int):
    from models.data import make_points

    return make_points("circle", n, noise=0.1, seed=0)


def _segmentation(n: int):
    from models.data import make_segmentation

    return make_segmentation(n, size=64, seed=0)


def _segmentation_model(depth: int, filters: int, skips: bool):
    from models.recipes import SegmentationRecipe, build_segmentation_model

    return build_segmentation_model(SegmentationRecipe(depth=depth, base_filters=filters, skip_connections=skips))


def _playground_mlp(hidden: tuple[int, ...], activation: str):
    from models import build_mlp

    return build_mlp(2, hidden, activation=activation, l2=0.0, seed=0, name="mlp")


def _neuron():
    from models.mlp import build_logistic_neuron

    return build_logistic_neuron(4, seed=0)


def _stroke(n: int):
    from models.data import make_stroke

    return make_stroke(n, seed=0)


def page_trainings() -> list[PageTraining]:
    """Every (page, model) a student can train in the app, each option of the model controls."""
    from models.zoo import MODEL_NAMES

    p = functools.partial
    runs = [PageTraining("loss_landscape", name, p(landscape_model, name),
                         (_lesions if name in ("cnn", "resnet") else p(_zoo, name)), LANDSCAPE_LEARNING_RATES[name])
            for name in LANDSCAPE_MODELS]
    runs += [PageTraining("residual", f"{'residual' if r else 'plain'} depth {d}", p(residual_net, d, r), _digits, 3e-3)
             for d in RESIDUAL_DEPTHS for r in (False, True)]
    runs += [PageTraining("cnn", f"filters {f}", p(lesion_cnn, f), _lesions, 3e-3) for f in CNN_FILTERS]
    runs += [PageTraining("cnn", "digits 8x8, 10 classes", p(lesion_cnn, "16,32", (8, 8, 1), 10), _digits, 3e-3)]
    runs += [PageTraining("saliency", "nodule CNN", saliency_cnn, _lesions, 3e-3)]
    runs += [PageTraining("pooling", "GAP-head CNN", pooling_cnn, _lesions, 1e-3)]
    runs += [PageTraining("trust", f"lesion CNN, global {g} pooling", p(trust_cnn, g), _lesions, 3e-3)
             for g in ("max", "average")]
    runs += [PageTraining("shortcut", "lesion CNN on tagged images", p(saliency_cnn, seed=0), _shortcut_lesions, 3e-3)]
    runs += [PageTraining("volumes", "3-D CNN", p(volume_cnn, "3-D"), _volumes, 3e-3, batch_size=8),
             PageTraining("volumes", "2-D CNN on axial slices", p(volume_cnn, "2-D"), _volume_slices, 3e-3)]
    runs += [PageTraining("attention", "clinical notes", _notes_model, _notes, 1e-2),
             PageTraining("attention", "patch attention", patch_attention, _lesions, 3e-3)]
    runs += [PageTraining("receptive_fields", name, p(receptive_field_model, name), _lesions, 3e-3)
             for name in ("our CNN", "our ResNet")]
    runs += [PageTraining("segmentation", f"depth {d}, {f} filters, skips {s}", p(_segmentation_model, d, f, s),
                          _segmentation, 3e-3, batch_size=16)
             # every depth at the default width, every width at the deepest, and no skips
             for d, f, s in [(d, 8, True) for d in SEGMENTATION_DEPTHS]
             + [(max(SEGMENTATION_DEPTHS), f, True) for f in SEGMENTATION_FILTERS if f != 8] + [(2, 8, False)]]
    # dense layers only: each activation once, plus the widest and the empty net
    runs += [PageTraining("mlp_playground", f"{a} {h}", p(_playground_mlp, h, a), _points, 0.03, batch_size=16)
             for a, h in [(a, (4, 2)) for a in PLAYGROUND_ACTIVATIONS] + [("relu", (64,) * 6), ("tanh", ())]]
    runs += [PageTraining("neuron", "stroke neuron", _neuron, _stroke, 0.03)]
    runs += [PageTraining("detection", "CenterNet-style detector", _detector, _nodules, 5e-3, batch_size=16,
                          loss=_detection_loss)]
    runs += [PageTraining("train_any", name, p(_zoo_model, name), p(_zoo, name), 3e-3) for name in MODEL_NAMES]
    return runs


def _zoo_model(name: str):
    from models.zoo import build_model

    return build_model(name, seed=0)


def run(trainings: list[PageTraining], *, epochs: int = 2, n: int = 32, stream=sys.stdout) -> int:
    """Train each configuration for ``epochs`` on ``n`` samples; print one line each; return failures."""
    from models.training import train

    failures = 0
    for t in trainings:
        # Printed before training: if the process dies, the last START line names the culprit.
        print(f"START {t.page} | {t.label}", file=stream, flush=True)
        x, y = t.data(n)
        model = t.build()
        h = train(model, x[:n], np.asarray(y)[:n], epochs=epochs, batch_size=t.batch_size,
                  learning_rate=t.learning_rate, loss=t.loss)
        ok = h.status == "finished" and len(h) == epochs and np.isfinite(h.metric("loss")).all()
        failures += not ok
        print(f"{'OK' if ok else 'FAIL'} {t.page} | {t.label} | {h.status} loss {h.metric('loss')[-1]:.4f}",
              file=stream, flush=True)
    return failures


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--page", action="append", help="only this page (repeatable)")
    parser.add_argument("--epochs", type=int, default=2)
    parser.add_argument("-n", type=int, default=32, help="training samples per configuration")
    args = parser.parse_args(argv)
    todo = [t for t in page_trainings() if not args.page or t.page in args.page]
    if not todo:
        parser.error(f"no page named {args.page}; pages: {sorted({t.page for t in page_trainings()})}")
    return 1 if run(todo, epochs=args.epochs, n=args.n) else 0


if __name__ == "__main__":
    raise SystemExit(main())
