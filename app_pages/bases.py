"""Bases (lecture 004): images from a few principal components, the Fourier basis by least squares beside a
neural fit, and the same points seen with labels (supervised) and without (unsupervised)."""

__all__: list[str] = []  # a page: widgets and text, nothing to import

import streamlit as st

from app_pages.ui import cached_figure, figure, url_setting, write_url
from explainers.bases import compute_fourier_fit, compute_pca_approximation, compute_supervision, image_patches
from explainers.bases_plots import (plot_fourier_coefficients, plot_fourier_fit, plot_pca_approximation,
                                    plot_pca_components, plot_pca_errors, plot_supervision)
from models.data import load_breast_cancer, load_digits, make_points, scan_input
from models.recipes import fit_curve

KS = (1, 2, 4, 16)
IMAGE_SETS = {"digits": "digits 8×8", "ct": "CT patches 16×16"}
POINT_SETS = {"tumours": "tumours", "gauss": "2 clouds", "moons": "moons"}
NEURONS = (4, 8, 16, 32)
SET_NOTES = {"digits": "handwritten digits (scikit-learn's set, as in lecture 004's digit example)",
             "ct": "patches cut from the head CT (brain window 40/80, resized to 256×256; empty background left out)"}


def draw_pca(result):
    return plot_pca_approximation(result, figure(7.5, 4.6))


def draw_components(result):
    return plot_pca_components(result, figure(9.5, 1.9))


def draw_pca_errors(result):
    return plot_pca_errors(result, figure(4.2, 3.4).subplots()).figure


def draw_fourier(result, neural):
    return plot_fourier_fit(result, figure(6.4, 3.6).subplots(), neural=neural).figure


def draw_coefficients(result):
    return plot_fourier_coefficients(result, figure(4.2, 3.6).subplots()).figure


def draw_supervision(result):
    return plot_supervision(result, figure(9.5, 4.2))


@st.cache_data(show_spinner="Computing the principal components…", max_entries=16)
def cached_pca(image_set: str, first: int):
    if image_set == "digits":
        images, _ = load_digits()
        source = "digits"
    else:
        images, source = image_patches(scan_input("ct_head", 256, window="brain"), 16), "head CT"
    first = min(first, len(images) - 3)
    return compute_pca_approximation(images, KS, show=(first, first + 1, first + 2), source=source)


@st.cache_data(show_spinner=False, max_entries=128)
def cached_fourier(n_samples: int, max_frequency: int, noise: float):
    return compute_fourier_fit(n_samples, max_frequency=max_frequency, noise=noise, seed=0)


@st.cache_data(show_spinner=False, max_entries=16)
def cached_neural_fit(neurons: int):
    return fit_curve((neurons,), epochs=400, learning_rate=0.02, seed=0)


@st.cache_data(show_spinner=False, max_entries=32)
def cached_supervision(point_set: str, clusters: int):
    if point_set == "tumours":
        x, y, names = load_breast_cancer(["mean radius", "mean texture"])
        return compute_supervision(x, y, names=("mean radius (standardised)", "mean texture (standardised)"),
                                   class_names=("benign", "malignant"), n_clusters=clusters, seed=0)
    x, y = make_points(point_set, 300, noise=0.15 if point_set == "moons" else 0.3, seed=0)
    return compute_supervision(x, y, class_names=("class 0", "class 1"), n_clusters=clusters, seed=0)


st.title("Bases: PCA, Fourier, neurons")
st.markdown(
    "Lecture 004 says that every function can be expressed as a linear combination of basis functions, "
    "$f = \\sum_j c_j \\phi_j$, with $\\phi_0, \\phi_1, \\dots$ orthonormal. Choose the basis well and a few "
    "coefficients carry almost everything. Below: a basis learnt from unlabelled images (principal components), "
    "a fixed one (Fourier), and a network that builds its own basis from its hidden neurons."
)

# ------------------------------------------------------------ PCA
st.subheader("Images from a few principal components")
st.markdown(
    "Lecture 004 (\"Approximation by 4 principal components (basis) only\") describes 32 images of "
    "n = 321 × 261 pixels each by 4 numbers. Here the same is done with a set of images: each one is "
    "rebuilt as the mean image plus k principal components, the directions in pixel space along which the "
    "set varies most."
)
c1, c2 = st.columns(2)
image_set = c1.segmented_control("Images", list(IMAGE_SETS), format_func=IMAGE_SETS.get,
                                 key=url_setting("bases_images", "digits", options=list(IMAGE_SETS)))
first = c2.number_input("First image shown", 0, 1700, key=url_setting("bases_first", 0, bounds=(0, 1700)))
if image_set is None:
    st.info("Pick a set of images above.")
else:
    pca = cached_pca(image_set, int(first))
    left, right = st.columns([1.6, 1])
    cached_figure(draw_pca, pca, slot=left)
    cached_figure(draw_pca_errors, pca, slot=right)
    cached_figure(draw_components, pca)
    errors = ", ".join(f"k = {k}: {100 * e:.0f} %" for k, e in zip(pca.ks, pca.relative_error))
    st.markdown(
        f"{pca.n_images} {SET_NOTES[image_set]}, each {pca.shape[0]}×{pca.shape[1]} = "
        f"{pca.shape[0] * pca.shape[1]} pixels. "
        f"Error left over the whole set, ‖X − X̂‖ / ‖X − mean‖: {errors}. With k = {pca.ks[-1]} each image "
        f"is {pca.ks[-1]} numbers instead of {pca.shape[0] * pca.shape[1]}, and those components hold "
        f"{100 * pca.explained_variance_ratio.sum():.0f} % of the set's variance. No labels were used: "
        "PCA is unsupervised."
    )

# ------------------------------------------------------------ Fourier
st.subheader("The Fourier basis: 5 cos x + 7 cos 2x + cos 4x from samples")
st.markdown(
    "Lecture 004's example: from training data, the function f(x) = 5 cos x + 7 cos 2x + cos 4x. In the basis "
    "1, cos x, sin x, …, cos Kx, sin Kx, finding f is solving one linear least-squares problem for the "
    "coefficients (no training loop). A network approximates the same curve by training its own basis: "
    "the hidden neurons."
)
c1, c2, c3 = st.columns(3)
n_samples = c1.slider("Samples n", 13, 100, key=url_setting("bases_n", 24, bounds=(13, 100)))
noise = c2.slider("Noise σ", 0.0, 3.0, step=0.1, key=url_setting("bases_noise", 0.0, bounds=(0.0, 3.0)))
max_frequency = c3.slider("Highest frequency K", 4, 12, key=url_setting("bases_k", 6, bounds=(4, 12)))
if n_samples < 2 * max_frequency + 1:
    st.error(f"{n_samples} samples cannot fix {2 * max_frequency + 1} coefficients (1 + 2K with K = "
             f"{max_frequency}): take at least {2 * max_frequency + 1} samples or a smaller K.")
else:
    fourier = cached_fourier(int(n_samples), int(max_frequency), float(noise))
    c1, c2 = st.columns([1.2, 2])
    neurons = c1.segmented_control("Hidden tanh neurons", list(NEURONS),
                                   key=url_setting("bases_neurons", 16, options=list(NEURONS)))
    if c2.button("Train the network fit", icon=":material/model_training:", key="bases_train") and neurons:
        with st.spinner(f"Training a 1-{neurons}-1 network on 256 points of the curve (400 epochs)…"):
            st.session_state["bases_neural"] = cached_neural_fit(int(neurons))
    neural = st.session_state.get("bases_neural")
    left, right = st.columns([1.5, 1])
    cached_figure(draw_fourier, fourier, neural, slot=left)
    cached_figure(draw_coefficients, fourier, slot=right)
    a = fourier.cos_coefficients
    cols = st.columns(4)
    cols[0].metric("a₁ (cos x)", f"{a[1]:.6g}", help="lecture: 5")
    cols[1].metric("a₂ (cos 2x)", f"{a[2]:.6g}", help="lecture: 7")
    cols[2].metric("a₄ (cos 4x)", f"{a[4]:.6g}", help="lecture: 1")
    cols[3].metric("largest coefficient error", f"{fourier.max_coefficient_error:.2g}")
    st.markdown(
        f"Least squares fits {fourier.n_coefficients} coefficients from {len(fourier.x)} samples; the fitted "
        f"curve is off the true one by {fourier.rmse:.3g} (root mean square)."
        + (" Noiseless samples give 5, 7 and 1 back to rounding error and zero for every other basis "
           "function: the curve lies exactly in the basis." if fourier.noise == 0 else
           f" With noise σ = {fourier.noise:g} every coefficient moves a little, the unused ones included.")
    )
    if neural is not None:
        st.markdown(
            f"The network ({neural.params} parameters, trained for 400 epochs on 256 noiseless points) reaches "
            f"a mean squared error of {neural.mse:.3g} against the curve; the least-squares fit on the right "
            f"basis needs {fourier.n_coefficients} numbers and no training. The network's advantage is that "
            "nobody had to tell it the basis (lecture 004: f(x) = f₀(Φ(x)), with Φ learnt from the data)."
        )
    else:
        st.info("Press **Train the network fit** to add a one-hidden-layer network's fit (a few seconds).")

# ------------------------------------------------------------ supervised vs unsupervised
st.subheader("Supervised and unsupervised: the same points")
st.markdown(
    "Lecture 004: *supervised learning* finds f(x) = y from labelled training data {(x⁽ⁱ⁾, y⁽ⁱ⁾)}; "
    "*unsupervised learning* infers a function to describe hidden structure from unlabelled data. Left, the "
    "labels are used: a linear classifier (Fisher's discriminant) draws its boundary. Right, the labels are "
    "hidden: PCA finds the directions of largest spread and k-means finds groups. *Tumours*: 569 breast "
    "tumours (scikit-learn's Wisconsin table), mean radius against mean texture, benign or malignant; *2 clouds* "
    "and *moons*: 300 synthetic points of two classes."
)
c1, c2 = st.columns(2)
point_set = c1.segmented_control("Points", list(POINT_SETS), format_func=POINT_SETS.get,
                                 key=url_setting("bases_points", "tumours", options=list(POINT_SETS)))
clusters = c2.slider("k-means clusters k", 2, 4, key=url_setting("bases_clusters", 2, bounds=(2, 4)))
if point_set is None:
    st.info("Pick a set of points above.")
else:
    sup = cached_supervision(point_set, int(clusters))
    cached_figure(draw_supervision, sup)
    cols = st.columns(3)
    cols[0].metric("Classifier: labels right", f"{100 * sup.accuracy:.1f} %")
    cols[1].metric("k-means: clusters = labels", f"{100 * sup.agreement:.1f} %",
                   help="Each cluster named after the class most of its points have, after the fact: "
                        "k-means never saw the labels.")
    cols[2].metric("Spread along PC1", f"{100 * sup.pca_variance[0] / sup.pca_variance.sum():.0f} %")
    st.caption("The clusters are groups the points form on their own; they match the classes only as far as "
               "the classes happen to be the groups. PCA's first axis is the direction of largest spread, "
               "which need not be the direction that separates the classes.")
write_url()
