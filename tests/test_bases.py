"""Lecture 004's foundations: PCA against scikit-learn, the Fourier coefficients 5, 7, 1 by least squares,
supervised (Fisher's discriminant) and unsupervised (PCA axes, k-means) against scikit-learn; the page."""
import numpy as np
import pytest

from explainers import compute_fourier_fit, compute_pca_approximation, compute_supervision, image_patches
from models._arguments import ArgumentError
from models.data import load_breast_cancer, load_digits, make_points


@pytest.fixture(scope="module")
def digits():
    images, labels = load_digits()
    return images, labels


@pytest.fixture(scope="module")
def digits_pca(digits):
    return compute_pca_approximation(digits[0], (1, 2, 4, 16), show=(0, 5, 9))


@pytest.mark.parametrize("k", [1, 2, 4, 16])
def test_pca_reconstructions_and_errors_equal_scikit_learns(digits, digits_pca, k):
    from sklearn.decomposition import PCA

    x = digits[0].reshape(len(digits[0]), -1).astype(np.float64)
    pca = PCA(k).fit(x)
    rebuilt = pca.inverse_transform(pca.transform(x))
    j = digits_pca.ks.index(k)
    np.testing.assert_allclose(digits_pca.reconstructions[:, j].reshape(3, -1), rebuilt[[0, 5, 9]], atol=1e-10)
    assert digits_pca.mse[j] == pytest.approx(np.mean((x - rebuilt) ** 2), rel=1e-10)
    centred = x - x.mean(axis=0)
    assert digits_pca.relative_error[j] == pytest.approx(np.linalg.norm(x - rebuilt) / np.linalg.norm(centred))


def test_pca_components_and_variance_ratios_equal_scikit_learns(digits, digits_pca):
    from sklearn.decomposition import PCA

    x = digits[0].reshape(len(digits[0]), -1).astype(np.float64)
    pca = PCA(16).fit(x)
    ours = digits_pca.components.reshape(16, -1)
    signs = np.sign(np.sum(ours * pca.components_, axis=1))  # a component's sign is a convention
    np.testing.assert_allclose(ours * signs[:, None], pca.components_, atol=1e-8)
    np.testing.assert_allclose(digits_pca.explained_variance_ratio, pca.explained_variance_ratio_, atol=1e-12)
    np.testing.assert_allclose(digits_pca.mean.ravel(), pca.mean_, atol=1e-12)


def test_pca_error_falls_as_k_grows_and_originals_are_the_images_shown(digits, digits_pca):
    assert np.all(np.diff(digits_pca.relative_error) < 0)
    assert 0 < digits_pca.relative_error[-1] < digits_pca.relative_error[0] < 1
    np.testing.assert_array_equal(digits_pca.originals, digits[0][[0, 5, 9], :, :, 0])


def test_pca_with_all_components_rebuilds_every_image_exactly():
    images = np.random.default_rng(0).random((5, 4, 4))
    result = compute_pca_approximation(images, (5,), show=(0, 1, 2, 3, 4))
    np.testing.assert_allclose(result.reconstructions[:, 0], images, atol=1e-12)
    assert result.relative_error[0] == pytest.approx(0.0, abs=1e-7)


def test_image_patches_are_the_non_empty_tiles_in_row_major_order():
    img = np.zeros((8, 12))
    img[0:4, 4:8] = np.arange(16).reshape(4, 4) / 16
    img[4:8, 8:12] = 0.5 + 0.1 * np.eye(4)
    patches = image_patches(img, 4)
    assert patches.shape == (2, 4, 4)  # the four flat tiles are left out
    np.testing.assert_array_equal(patches[0], img[0:4, 4:8])
    np.testing.assert_array_equal(patches[1], img[4:8, 8:12])


@pytest.mark.parametrize("n_samples, max_frequency", [(24, 6), (13, 6), (9, 4), (100, 12), (41, 20)])
def test_fourier_coefficients_5_7_1_are_recovered_within_1e_6_from_noiseless_samples(n_samples, max_frequency):
    fit = compute_fourier_fit(n_samples, max_frequency=max_frequency)
    expected = np.zeros(max_frequency + 1)
    expected[[1, 2, 4]] = [5.0, 7.0, 1.0]  # lecture 004: 5 cos x + 7 cos 2x + cos 4x
    np.testing.assert_allclose(fit.cos_coefficients, expected, atol=1e-6)
    np.testing.assert_allclose(fit.sin_coefficients, 0.0, atol=1e-6)
    assert fit.max_coefficient_error < 1e-6 and fit.rmse < 1e-6
    assert fit.n_coefficients == 2 * max_frequency + 1


def test_fourier_fit_is_the_least_squares_solution_and_noise_moves_it():
    from scipy.linalg import lstsq

    fit = compute_fourier_fit(30, max_frequency=5, noise=1.0, seed=3)
    design = np.column_stack([np.ones(30)] + [f(j * fit.x) for j in range(1, 6) for f in (np.cos, np.sin)])
    coef = lstsq(design, fit.y)[0]
    np.testing.assert_allclose(fit.cos_coefficients, np.r_[coef[0], coef[1::2]], atol=1e-10)
    np.testing.assert_allclose(fit.sin_coefficients[1:], coef[2::2], atol=1e-10)
    assert 1e-3 < fit.max_coefficient_error < 1.5
    # equally spaced samples: the basis is orthogonal, so a_j = (2/n) Σ y cos(jx) for 1 ≤ j < n/2
    assert fit.cos_coefficients[2] == pytest.approx(2 / 30 * np.sum(fit.y * np.cos(2 * fit.x)))


@pytest.mark.parametrize("n_samples, max_frequency", [(12, 6), (5, 2)])
def test_fourier_fit_refuses_fewer_samples_than_coefficients(n_samples, max_frequency):
    with pytest.raises(ArgumentError):
        compute_fourier_fit(n_samples, max_frequency=max_frequency)


def test_supervised_boundary_predicts_as_scikit_learns_linear_discriminant():
    from sklearn.discriminant_analysis import LinearDiscriminantAnalysis

    x, y, _ = load_breast_cancer(["mean radius", "mean texture"])
    result = compute_supervision(x, y)
    lda = LinearDiscriminantAnalysis(priors=[0.5, 0.5]).fit(x, y)
    ours = (x @ result.boundary_w + result.boundary_b > 0).astype(int)
    np.testing.assert_array_equal(ours, lda.predict(x))
    assert result.accuracy == pytest.approx(lda.score(x, y))
    np.testing.assert_allclose(result.boundary_w / np.linalg.norm(result.boundary_w),
                               lda.coef_[0] / np.linalg.norm(lda.coef_[0]), atol=1e-6)


@pytest.mark.parametrize("kind, k", [("gauss", 2), ("tumours", 2), ("moons", 3)])
def test_unsupervised_pca_axes_and_kmeans_match_scikit_learn(kind, k):
    from sklearn.cluster import KMeans
    from sklearn.decomposition import PCA

    if kind == "tumours":
        x, y, _ = load_breast_cancer(["mean radius", "mean texture"])
    else:
        x, y = make_points(kind, 300, noise=0.3, seed=0)
    result = compute_supervision(x, y, n_clusters=k, seed=0)
    pca = PCA(2).fit(x)
    np.testing.assert_allclose(np.abs(np.sum(result.pca_axes * pca.components_, axis=1)), 1.0, atol=1e-6)
    np.testing.assert_allclose(result.pca_variance, pca.explained_variance_, rtol=1e-5)
    # a fixed point of Lloyd's algorithm: every point is nearest its own centre, every centre is its points' mean
    d = ((x[:, None, :] - result.centres[None]) ** 2).sum(-1)
    np.testing.assert_array_equal(np.argmin(d, axis=1), result.clusters)
    for j in range(k):
        np.testing.assert_allclose(result.centres[j], x[result.clusters == j].mean(axis=0), atol=1e-6)
    km = KMeans(k, n_init=10, random_state=0).fit(x.astype(np.float64))
    if k == 2:  # one clear optimum: the same partition as scikit-learn, up to the clusters' names
        assert result.inertia == pytest.approx(km.inertia_, rel=1e-6)
        assert len({(a, b) for a, b in zip(result.clusters, km.labels_)}) == 2
    else:  # k-means is a heuristic with nearby local optima; both land within 1 % of each other
        assert result.inertia == pytest.approx(km.inertia_, rel=1e-2)
    assert 0.5 <= result.agreement <= 1.0


def test_kmeans_agreement_counts_points_whose_cluster_matches_their_label():
    x = np.array([[0.0, 0.0], [0.1, 0.0], [0.0, 0.1], [5.0, 5.0], [5.1, 5.0], [5.0, 5.1]])
    y = np.array([1, 1, 0, 0, 0, 0])  # one point labelled against its group
    result = compute_supervision(x, y, seed=1)
    assert result.agreement == pytest.approx(5 / 6)


@pytest.mark.parametrize("args", [
    dict(x=np.zeros((10, 3)), y=np.r_[np.zeros(5), np.ones(5)]),
    dict(x=np.random.default_rng(0).random((10, 2)), y=np.zeros(10)),
    dict(x=np.random.default_rng(0).random((10, 2)), y=np.r_[np.zeros(5), 2 * np.ones(5)]),
])
def test_supervision_rejects_bad_points_or_labels_with_a_clear_error(args):
    with pytest.raises(ArgumentError, match="must be"):
        compute_supervision(**args)


# ------------------------------------------------------------ the page
@pytest.mark.slow
def test_bases_page_shows_the_fourier_coefficients_and_trains_the_network_fit(app_page):
    at = app_page("bases.py", timeout=240)
    assert not at.exception
    metrics = {m.label: m.value for m in at.metric}
    assert (metrics["a₁ (cos x)"], metrics["a₂ (cos 2x)"], metrics["a₄ (cos 4x)"]) == ("5", "7", "1")
    assert float(metrics["largest coefficient error"]) < 1e-6
    at.slider(key="bases_noise").set_value(1.0).run()
    assert not at.exception
    assert float({m.label: m.value for m in at.metric}["largest coefficient error"]) > 1e-3
    at.slider(key="bases_n").set_value(13).run()
    at.slider(key="bases_k").set_value(8).run()
    assert not at.exception and any("cannot fix 17 coefficients" in e.value for e in at.error)
    at.slider(key="bases_k").set_value(6).run()
    at.segmented_control(key="bases_neurons").set_value(4).run()
    at.button(key="bases_train").click().run()
    assert not at.exception
    fit = at.session_state["bases_neural"]
    assert fit.hidden == (4,) and fit.params == 3 * 4 + 1
    assert any("mean squared error" in m.value for m in at.markdown)


def test_bases_page_pca_on_ct_patches_and_the_supervision_numbers(app_page):
    at = app_page("bases.py", bases_images="ct", bases_points="gauss")
    assert not at.exception
    text = " ".join(m.value for m in at.markdown)
    assert "patches cut from the head CT" in text and "each 16×16 = 256 pixels" in text
    x, y = make_points("gauss", 300, noise=0.3, seed=0)
    expected = compute_supervision(x, y, n_clusters=2, seed=0)
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Classifier: labels right"] == f"{100 * expected.accuracy:.1f} %"
    assert metrics["k-means: clusters = labels"] == f"{100 * expected.agreement:.1f} %"
