"""Lecture 004's foundations: a few basis functions describe a lot.

What this shows: images rebuilt from k principal components (PCA: the basis
learnt from unlabelled images), the curve 5 cos x + 7 cos 2x + cos 4x recovered
from samples by least squares on the Fourier basis (lecture 004: f = Σ c_j φ_j
with an orthonormal basis φ_j), and the same points seen with labels
(supervised: a classifier's boundary) and without (unsupervised: PCA axes and
k-means clusters).

Compute only (NumPy); drawing lives in :mod:`explainers.bases_plots`. The neural
fit of the same curve is trained by ``models.recipes.fit_curve``.
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from explainers.approximation import target_curve
from models._arguments import check_array, check_float, check_int, fail

__all__ = ["LECTURE_COEFFICIENTS", "image_patches", "PcaApproximation", "compute_pca_approximation",
           "FourierFit", "compute_fourier_fit", "Supervision", "compute_supervision"]

# lecture 004: f(x) = 5 cos x + 7 cos 2x + cos 4x, as {frequency: coefficient of cos}
LECTURE_COEFFICIENTS: dict[int, float] = {1: 5.0, 2: 7.0, 4: 1.0}


# ------------------------------------------------------------------ PCA
def image_patches(image: Any, size: int = 16, *, min_std: float = 0.02) -> np.ndarray:
    """Non-overlapping ``size × size`` patches of a 2-D image, ``(n, size, size)``, keeping only patches
    whose grey levels vary (standard deviation ≥ ``min_std``: empty background is left out)."""
    img = check_array("image", image, ndim=2, dtype="float64")
    size = check_int("size", size, low=2, high=min(img.shape))
    min_std = check_float("min_std", min_std, low=0.0)
    h, w = (img.shape[0] // size) * size, (img.shape[1] // size) * size
    p = img[:h, :w].reshape(h // size, size, w // size, size).swapaxes(1, 2).reshape(-1, size, size)
    return p[p.reshape(len(p), -1).std(axis=1) >= min_std]


@dataclass(frozen=True)
class PcaApproximation:
    """Images rebuilt from their first k principal components.

    What this shows: the mean image plus k weighted basis images (the principal
    components, learnt from the unlabelled set) already carries most of each
    image; the error falls as k grows and the k numbers per image are a
    compressed description (lecture 004: 32 images of 321×261 pixels described
    by 4 numbers each).

    Attributes:
        n_images: images in the set; shape: ``(H, W)`` of one image.
        ks: the numbers of components shown, ascending.
        originals: ``(s, H, W)`` the images shown; reconstructions: ``(s, len(ks), H, W)``.
        mean: ``(H, W)`` the mean image; components: ``(K, H, W)`` the first K = max(ks) components
            (unit norm, largest weight positive, as scikit-learn ≥ 1.5 signs them).
        explained_variance_ratio: ``(K,)`` share of the set's variance along each component.
        mse: ``(len(ks),)`` mean squared error per pixel over the whole set, for each k.
        relative_error: ``(len(ks),)`` ‖X − X̂‖ / ‖X − mean‖ over the whole set (1 at k = 0).
        source: where the images come from, for titles.
    """

    n_images: int
    shape: tuple[int, int]
    ks: tuple[int, ...]
    originals: np.ndarray
    reconstructions: np.ndarray
    mean: np.ndarray
    components: np.ndarray
    explained_variance_ratio: np.ndarray
    mse: np.ndarray
    relative_error: np.ndarray
    source: str


def compute_pca_approximation(images: Any, ks: Sequence[int] = (1, 2, 4, 16), *, show: Sequence[int] = (0, 1, 2),
                              source: str = "") -> PcaApproximation:
    """PCA of a set of images (SVD of the centred pixel matrix) and reconstructions from k components.

    What this shows: each image ≈ mean + Σ_{j ≤ k} c_j φ_j with φ_j the principal
    components; the same numbers as ``sklearn.decomposition.PCA(k)``'s
    ``inverse_transform(transform(X))``.

    Args:
        images: ``(n, H, W)`` or ``(n, H, W, 1)``, at least 2 images.
        ks: component counts to rebuild with (each 1 ≤ k ≤ min(n, H·W)).
        show: indices of the images to rebuild for display.
        source: a short name of the set, for titles.
    """
    x = check_array("images", images, ndim=(3, 4), dtype="float64", min_size=2)
    if x.ndim == 4:
        if x.shape[-1] != 1:
            fail("images", images, "grey images (n, H, W) or (n, H, W, 1)", f"got shape {x.shape}")
        x = x[..., 0]
    n, h, w = x.shape
    if n < 2:
        fail("images", images, "at least 2 images", f"got {n}")
    ks = tuple(sorted({check_int("ks", k, low=1, high=min(n, h * w)) for k in ks}))
    if not ks:
        fail("ks", ks, "one or more component counts, e.g. (1, 2, 4, 16)")
    show = tuple(check_int("show", i, low=0, high=n - 1) for i in show)
    flat = x.reshape(n, -1)
    mean = flat.mean(axis=0)
    centred = flat - mean
    u, s, vt = np.linalg.svd(centred, full_matrices=False)
    signs = np.sign(vt[range(len(vt)), np.argmax(np.abs(vt), axis=1)])  # largest pixel weight positive
    signs[signs == 0] = 1.0
    vt = vt * signs[:, None]
    variance = s ** 2
    ratio = variance / variance.sum() if variance.sum() > 0 else np.zeros_like(variance)
    total = float(np.sum(centred ** 2))
    recon, mse, rel = [], [], []
    for k in ks:
        basis = vt[:k]
        approx = centred @ basis.T @ basis
        err = float(np.sum((centred - approx) ** 2))
        mse.append(err / centred.size)
        rel.append(np.sqrt(err / total) if total > 0 else 0.0)
        recon.append((approx[list(show)] + mean).reshape(len(show), h, w))
    kmax = max(ks)
    return PcaApproximation(n, (h, w), ks, x[list(show)], np.stack(recon, axis=1), mean.reshape(h, w),
                            vt[:kmax].reshape(kmax, h, w), ratio[:kmax], np.array(mse), np.array(rel), str(source))


# ------------------------------------------------------------------ Fourier
@dataclass(frozen=True)
class FourierFit:
    """Coefficients of the Fourier basis 1, cos jx, sin jx (j ≤ K) fitted to samples by least squares.

    What this shows: with the right basis, fitting is solving one linear system,
    no training; on noiseless samples it returns the lecture's 5, 7 and 1 (and
    zeros elsewhere) to rounding error, and noise moves every coefficient a little.

    Attributes:
        x, y: ``(n,)`` the samples (n equally spaced points of [−π, π)), y with noise.
        grid, truth, fitted: ``(g,)`` a fine grid, the lecture's curve on it, the fitted curve.
        frequencies: ``(K + 1,)`` 0..K.
        cos_coefficients, sin_coefficients: ``(K + 1,)`` a_j and b_j of Σ a_j cos jx + b_j sin jx
            (b_0 is 0: sin 0x is not in the basis).
        true_cos: ``(K + 1,)`` the lecture's coefficients (5 at j = 1, 7 at j = 2, 1 at j = 4).
        max_coefficient_error: largest |fitted − true| over all a_j and b_j.
        rmse: root mean squared error of the fitted curve against the true curve on the grid.
        noise: standard deviation of the noise added to the samples.
    """

    x: np.ndarray
    y: np.ndarray
    grid: np.ndarray
    truth: np.ndarray
    fitted: np.ndarray
    frequencies: np.ndarray
    cos_coefficients: np.ndarray
    sin_coefficients: np.ndarray
    true_cos: np.ndarray
    max_coefficient_error: float
    rmse: float
    noise: float

    @property
    def n_coefficients(self) -> int:
        """Numbers fitted: 2K + 1 (one constant, K cosines, K sines)."""
        return 2 * len(self.frequencies) - 1


def _fourier_design(x: np.ndarray, k: int) -> np.ndarray:
    cols = [np.ones_like(x)]
    for j in range(1, k + 1):
        cols += [np.cos(j * x), np.sin(j * x)]
    return np.stack(cols, axis=1)


def compute_fourier_fit(n_samples: int = 24, *, max_frequency: int = 6, noise: float = 0.0,
                        seed: int = 0) -> FourierFit:
    """Least-squares fit of 1, cos jx, sin jx (j ≤ K) to samples of 5 cos x + 7 cos 2x + cos 4x.

    What this shows: lecture 004's f = Σ c_j φ_j: the coefficients are found by
    ``np.linalg.lstsq`` from n samples (n ≥ 2K + 1); on equally spaced samples
    the basis is orthogonal, so each coefficient is the signal's inner product
    with its basis function.

    Args:
        n_samples: equally spaced samples on [−π, π) (at least 2K + 1, at most 1000).
        max_frequency: K, the highest frequency in the basis (4 to 20).
        noise: standard deviation of Gaussian noise added to the samples (0 to 10).
        seed: the noise comes from ``np.random.default_rng(seed)``.
    """
    k = check_int("max_frequency", max_frequency, low=4, high=20)
    n = check_int("n_samples", n_samples, low=2 * k + 1, high=1000)
    noise = check_float("noise", noise, low=0.0, high=10.0)
    seed = check_int("seed", seed, low=0)
    x = -np.pi + 2 * np.pi * np.arange(n) / n
    y = target_curve(x) + noise * np.random.default_rng(seed).standard_normal(n)
    coef, *_ = np.linalg.lstsq(_fourier_design(x, k), y, rcond=None)
    a = np.concatenate([[coef[0]], coef[1::2]])
    b = np.concatenate([[0.0], coef[2::2]])
    true_cos = np.zeros(k + 1)
    for j, c in LECTURE_COEFFICIENTS.items():
        true_cos[j] = c
    grid = np.linspace(-np.pi, np.pi, 400)
    truth = target_curve(grid)
    fitted = _fourier_design(grid, k) @ coef
    err = max(float(np.max(np.abs(a - true_cos))), float(np.max(np.abs(b))))
    return FourierFit(x, y, grid, truth, fitted, np.arange(k + 1), a, b, true_cos, err,
                      float(np.sqrt(np.mean((fitted - truth) ** 2))), noise)


# ------------------------------------------------------------------ supervised vs unsupervised
@dataclass(frozen=True)
class Supervision:
    """The same 2-D points with their labels (supervised) and without them (unsupervised).

    What this shows: with labels, a classifier finds the direction that separates
    the classes (Fisher's linear discriminant: a straight boundary); without
    labels, PCA finds the directions of largest spread and k-means finds groups,
    which may or may not be the classes.

    Attributes:
        x: ``(n, 2)`` points; y: ``(n,)`` labels in {0, 1}; names: the two axes' names.
        boundary_w, boundary_b: the classifier predicts 1 where w·x + b > 0.
        accuracy: share of points the classifier labels correctly.
        pca_mean: ``(2,)``; pca_axes: ``(2, 2)`` unit directions (rows), largest spread first;
        pca_variance: ``(2,)`` variance along each.
        clusters: ``(n,)`` k-means cluster of each point; centres: ``(k, 2)``; inertia: Σ squared distances.
        agreement: share of points whose cluster matches their label, naming the clusters as well as
            possible afterwards (k = 2: the better of the two namings; k > 2: each cluster after its
            majority class). The labels were never used to find the clusters.
        class_names: names of labels 0 and 1.
    """

    x: np.ndarray
    y: np.ndarray
    names: tuple[str, str]
    boundary_w: np.ndarray
    boundary_b: float
    accuracy: float
    pca_mean: np.ndarray
    pca_axes: np.ndarray
    pca_variance: np.ndarray
    clusters: np.ndarray
    centres: np.ndarray
    inertia: float
    agreement: float
    class_names: tuple[str, str]


def _kmeans(x: np.ndarray, k: int, seed: int, restarts: int = 10, iterations: int = 100) -> tuple:
    rng = np.random.default_rng(seed)
    best = None
    for _ in range(restarts):
        # k-means++ seeding, then Lloyd's iterations until nothing moves
        centres = [x[rng.integers(len(x))]]
        for _ in range(1, k):
            d2 = np.min(((x[:, None, :] - np.array(centres)[None]) ** 2).sum(-1), axis=1)
            centres.append(x[rng.choice(len(x), p=d2 / d2.sum())] if d2.sum() > 0 else x[rng.integers(len(x))])
        c, labels = np.array(centres), None
        for _ in range(iterations):
            new_labels = np.argmin(((x[:, None, :] - c[None]) ** 2).sum(-1), axis=1)
            if labels is not None and np.array_equal(new_labels, labels):
                break  # nobody moved: a fixed point of Lloyd's algorithm
            labels = new_labels
            c = np.array([x[labels == j].mean(axis=0) if np.any(labels == j) else c[j] for j in range(k)])
        labels = np.argmin(((x[:, None, :] - c[None]) ** 2).sum(-1), axis=1)
        inertia = float(((x - c[labels]) ** 2).sum())
        if best is None or inertia < best[2] - 1e-12:
            best = (labels, c, inertia)
    return best


def compute_supervision(x: Any, y: Any, *, names: Sequence[str] = ("x₁", "x₂"),
                        class_names: Sequence[str] = ("0", "1"), n_clusters: int = 2,
                        seed: int = 0) -> Supervision:
    """Fisher's linear discriminant with the labels; PCA and k-means without them.

    What this shows: supervised learning uses the labels to place a boundary
    (here the closed-form discriminant w = Σ⁻¹(μ₁ − μ₀), the boundary halfway
    between the class means in that metric, as scikit-learn's
    ``LinearDiscriminantAnalysis`` with equal priors); unsupervised learning sees
    only the points and finds their main directions (PCA) and groups (k-means).

    Args:
        x: ``(n, 2)`` points; y: ``(n,)`` labels in {0, 1}, both classes present.
        names: the two features' names; class_names: the labels' names.
        n_clusters: k for k-means (2 to 6).
        seed: k-means' starting centres come from ``np.random.default_rng(seed)``.
    """
    x = check_array("x", x, ndim=2, dtype="float64", min_size=4)
    if x.shape[1] != 2:
        fail("x", x, "(n, 2) points", f"got shape {x.shape}")
    y = check_array("y", y, ndim=1, dtype=None)
    if len(y) != len(x) or not np.isin(y, (0, 1)).all() or len(np.unique(y)) != 2:
        fail("y", y, f"{len(x)} labels in {{0, 1}} with both classes present")
    y = y.astype(np.int64)
    k = check_int("n_clusters", n_clusters, low=2, high=6)
    seed = check_int("seed", seed, low=0)
    mu0, mu1 = x[y == 0].mean(axis=0), x[y == 1].mean(axis=0)
    within = sum(((x[y == c] - m).T @ (x[y == c] - m)) for c, m in ((0, mu0), (1, mu1))) / (len(x) - 2)
    w = np.linalg.solve(within, mu1 - mu0)
    b = -float(w @ (mu0 + mu1) / 2)
    accuracy = float(np.mean(((x @ w + b) > 0).astype(np.int64) == y))
    mean = x.mean(axis=0)
    variance, vecs = np.linalg.eigh(np.cov((x - mean).T))
    order = np.argsort(variance)[::-1]
    axes = vecs[:, order].T
    axes = axes * np.where(axes[np.arange(2), np.argmax(np.abs(axes), axis=1)] < 0, -1.0, 1.0)[:, None]
    clusters, centres, inertia = _kmeans(x, k, seed)
    if k == 2:  # the better of the two ways to name the clusters
        agreement = float(max(np.mean(clusters == y), np.mean(clusters != y)))
    else:  # every cluster named after its majority class
        majority = np.array([np.bincount(y[clusters == j], minlength=2).argmax() if np.any(clusters == j) else 0
                             for j in range(k)])
        agreement = float(np.mean(majority[clusters] == y))
    return Supervision(x, y, (str(names[0]), str(names[1])), w, b, accuracy, mean, axes, variance[order],
                       clusters.astype(np.int64), centres, inertia, agreement,
                       (str(class_names[0]), str(class_names[1])))
