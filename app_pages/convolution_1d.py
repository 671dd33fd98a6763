"""1-D convolution and the flip (lectures 000 and 003): a kernel along an ECG-like trace, and
cross-correlation against convolution on lecture 000's 3×3 example."""

__all__: list[str] = []  # a page: widgets and text, nothing to import

import numpy as np
import streamlit as st

from app_pages.ui import cached_figure, figure, url_setting, write_url
from explainers.convolution_1d import ECG_KERNELS, PADDINGS_1D, compute_flip, compute_signal_convolution, ecg_kernel
from explainers.convolution_1d_plots import plot_flip, plot_signal_convolution
from models.data.signals import make_ecg


def draw_signal(result):
    return plot_signal_convolution(result, figure(10, 4.6))


def draw_flip(result):
    return plot_flip(result, figure(10, 2.6))


@st.cache_data(show_spinner=False, max_entries=64)
def cached_trace(noise: float):
    return make_ecg(4.0, rate=250, heart_rate=72.0, noise=noise, seed=0)


@st.cache_data(show_spinner=False, max_entries=128)
def cached_convolution(kernel_name: str, width_ms: float, padding: str, noise: float, position: int):
    trace = cached_trace(noise)
    # the QRS-matched kernel is cut from the second beat of the clean trace (the shape we look for)
    kernel = ecg_kernel(kernel_name, trace.rate, width_ms=width_ms, template=trace.clean,
                        r_peak=int(trace.r_peaks[1]))
    return compute_signal_convolution(trace.signal, kernel, padding=padding, rate=trace.rate, position=position,
                                      name=kernel_name)


@st.cache_data(show_spinner=False, max_entries=32)
def cached_flip(kernel: tuple[tuple[float, ...], ...]):
    return compute_flip(None, np.array(kernel), with_keras=True)


st.title("1-D convolution and the flip")
st.markdown(
    "Lecture 003 writes a 1-D convolution of an input vector $x$ with a kernel $w = [w_1, w_2, w_3]$ as "
    "$z_i = w_1 x_i + w_2 x_{i+1} + w_3 x_{i+2}$: the same three weights slide along the whole signal, "
    "exactly as a 2-D kernel slides over an image. Here the signal is an ECG-like trace (synthetic: "
    "P, QRS and T waves as Gaussian bumps, 72 beats per minute, 250 samples per second, with noise and a "
    "slow baseline wander)."
)

# ------------------------------------------------------------ a kernel along a trace
st.subheader("A kernel slid along an ECG-like trace")
c1, c2, c3 = st.columns(3)
position = c1.slider("Output sample shown", 0, 1019, key=url_setting("c1d_pos", 117, bounds=(0, 1019)))
noise = c2.slider("Noise (mV)", 0.0, 0.3, step=0.01, key=url_setting("c1d_noise", 0.05, bounds=(0.0, 0.3)))
width = c3.slider("Kernel half-width (ms)", 10, 100, step=5, key=url_setting("c1d_width", 40, bounds=(10, 100)),
                  help="Smoothing: the averaging window is this long. QRS-matched: the template spans ± this "
                       "around the R peak. The derivative kernel is always 3 samples.")
c1, c2 = st.columns(2)
kernel_name = c1.segmented_control("Kernel", list(ECG_KERNELS), key=url_setting("c1d_kernel", "QRS-matched",
                                                                                  options=ECG_KERNELS))
padding = c2.segmented_control("Padding", list(PADDINGS_1D), key=url_setting("c1d_padding", "same",
                                                                            options=PADDINGS_1D))
write_url()
if kernel_name is None or padding is None:
    st.info("Pick a kernel and a padding above.")
    st.stop()
result = cached_convolution(kernel_name, float(width), padding, float(noise), int(position))
cached_figure(draw_signal, result)

what = {
    "smoothing": "a moving average: every weight is 1/F, so a flat signal keeps its level and the noise "
                 "averages out, but a wide window also flattens the sharp R peak.",
    "derivative": "the central difference (−1, 0, 1)/(2Δt): $z_i = (x_{i+2} - x_i)/(2\\Delta t)$, large and "
                  "positive on a steep rise (the R upstroke), negative on a fall; it amplifies the noise too.",
    "QRS-matched": "a copy of one QRS complex (mean removed, unit length): the output is a dot product of that "
                   "shape with each window, so it peaks where a beat looks like the template (a matched "
                   "filter) and the noise, which does not look like it, is suppressed.",
}
st.markdown(f"**{kernel_name}**: {what[kernel_name]}")
n, f = len(result.signal), len(result.kernel)
cols = st.columns(4)
cols[0].metric("Input length n", n)
cols[1].metric("valid: n − F + 1", result.lengths["valid"], help=f"F = {f} taps; no zeros added")
cols[2].metric("same: n", result.lengths["same"], help=f"F − 1 = {f - 1} zeros, the smaller half first")
cols[3].metric("full: n + F − 1", result.lengths["full"], help=f"F − 1 = {f - 1} zeros on each side")
shown = min(f, 5)
terms = " + ".join(f"({w:.3g})·({x:.3g})" for w, x in zip(result.kernel[:shown], result.window[:shown]))
more = f" + … ({f - shown} more terms)" if f > shown else ""
st.markdown(f"Output sample $i$ = {result.position} ({padding} padding): $z_i = \\sum_j w_j x_{{i+j}}$ = {terms}{more} "
            f"= **{result.value:.4g}**")
if kernel_name == "QRS-matched":
    trace = cached_trace(float(noise))
    st.markdown(f"The output's peaks (above half the largest, at least 0.25 s apart) find **{len(result.peaks)}** "
                f"beats where the trace has {len(trace.r_peaks)}: a heart rate of "
                f"**{result.beats_per_minute:.0f} per minute** (the trace was made at "
                f"{trace.heart_rate:.0f} ± 3 %). Raise the noise to see when it starts to miss.")

# ------------------------------------------------------------ the flip
st.subheader("Cross-correlation or convolution? The kernel flip")
st.markdown(
    "Lecture 000 computes [[0, 1, 2], [3, 4, 5], [6, 7, 8]] with the kernel [[0, 1], [2, 3]] and labels the "
    "result [[19, 25], [37, 43]] *cross-correlation*: the kernel is laid on the input as printed. Lecture 003's "
    "formula above does the same. The mathematical convolution first turns the kernel by 180° "
    "(flips it left-right and top-bottom). CNN libraries, Keras included, compute the cross-correlation and "
    "call it convolution; since the network learns its kernels, it simply learns the flipped one."
)
text = st.text_input("Kernel (rows separated by ';')", key=url_setting("c1d_flip_kernel", "0 1; 2 3"))
write_url()
try:
    kernel = tuple(tuple(float(v) for v in row.split()) for row in text.split(";") if row.strip())
    if not kernel or len({len(r) for r in kernel}) != 1 or not 1 <= len(kernel) <= 3 or not 1 <= len(kernel[0]) <= 3:
        raise ValueError
except ValueError:
    st.error(f"The kernel {text!r} is not valid: write 1 to 3 rows of 1 to 3 numbers each, rows separated by "
             "';', e.g. 0 1; 2 3.")
    st.stop()
flip = cached_flip(kernel)
cached_figure(draw_flip, flip)
fmt = lambda a: np.array2string(a, formatter={"float_kind": lambda v: f"{v:g}"})  # noqa: E731
cols = st.columns(3)
cols[0].markdown(f"Cross-correlation\n```\n{fmt(flip.correlation)}\n```")
cols[1].markdown(f"Convolution (kernel flipped)\n```\n{fmt(flip.convolution)}\n```")
cols[2].markdown(f"Keras `Conv2D` with these weights\n```\n{fmt(flip.keras)}\n```")
same = np.allclose(flip.keras, flip.correlation)
st.caption(("Keras' layer gives the cross-correlation, " if same else "Keras' layer differs from the "
            "cross-correlation here, ") + ("and the flip changes nothing: this kernel is symmetric under a 180° turn."
                                           if np.allclose(flip.kernel, flip.flipped) else
                                           "not the convolution: the flip matters for this kernel."))
