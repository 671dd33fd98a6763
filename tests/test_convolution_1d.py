"""1-D convolution on an ECG-like trace and the kernel flip, against NumPy, SciPy, Keras and lecture 000."""
import numpy as np
import pytest

from explainers import compute_flip, compute_signal_convolution, correlate1d, ecg_kernel
from models._arguments import ArgumentError
from models.data.signals import ECG_WAVES, make_ecg

LECTURE_X = np.arange(9).reshape(3, 3)
LECTURE_W = np.array([[0, 1], [2, 3]])


@pytest.fixture(scope="module")
def trace():
    return make_ecg(4.0, rate=250, heart_rate=72.0, noise=0.05, seed=0)


@pytest.mark.parametrize("padding", ["valid", "same", "full"])
@pytest.mark.parametrize("taps", [1, 3, 5, 21])
def test_correlate1d_equals_numpy_correlate_for_odd_kernels(padding, taps):
    rng = np.random.default_rng(taps)
    x, w = rng.normal(size=50), rng.normal(size=taps)
    np.testing.assert_allclose(correlate1d(x, w, padding), np.correlate(x, w, padding), atol=1e-12)


@pytest.mark.parametrize("padding", ["valid", "full"])
def test_correlate1d_is_numpy_convolve_with_the_kernel_flipped(padding):
    rng = np.random.default_rng(0)
    x, w = rng.normal(size=30), rng.normal(size=4)
    np.testing.assert_allclose(correlate1d(x, w[::-1], padding), np.convolve(x, w, padding), atol=1e-12)


@pytest.mark.parametrize("padding", ["valid", "same"])
@pytest.mark.parametrize("taps", [3, 4])
def test_correlate1d_equals_keras_conv1d_including_even_kernels(padding, taps):
    import keras

    rng = np.random.default_rng(1)
    x, w = rng.normal(size=20), rng.normal(size=taps)
    layer = keras.layers.Conv1D(1, taps, padding=padding, use_bias=False, dtype="float64")
    layer.build((1, 20, 1))
    layer.set_weights([w[:, None, None]])
    out = keras.ops.convert_to_numpy(layer(x[None, :, None]))[0, :, 0]
    np.testing.assert_allclose(correlate1d(x, w, padding), out, atol=1e-10)


def test_lecture_003_formula_z_i_is_w1_xi_plus_w2_xi1_plus_w3_xi2():
    x = np.arange(1.0, 11.0)  # x_1 … x_10 as on the slide
    w = np.array([2.0, -1.0, 0.5])
    z = correlate1d(x, w, "valid")
    assert len(z) == 8
    np.testing.assert_allclose(z, [w[0] * x[i] + w[1] * x[i + 1] + w[2] * x[i + 2] for i in range(8)])


@pytest.mark.parametrize("name, taps", [("smoothing", 10), ("derivative", 3), ("QRS-matched", 21)])
@pytest.mark.parametrize("padding, length", [("valid", lambda n, f: n - f + 1), ("same", lambda n, f: n),
                                             ("full", lambda n, f: n + f - 1)])
def test_output_lengths_are_n_minus_f_plus_1_n_and_n_plus_f_minus_1(trace, name, taps, padding, length):
    kernel = ecg_kernel(name, trace.rate, width_ms=40, template=trace.clean, r_peak=int(trace.r_peaks[1]))
    assert len(kernel) == taps
    result = compute_signal_convolution(trace.signal, kernel, padding=padding, rate=trace.rate, position=500)
    n = len(trace.signal)
    assert len(result.output) == length(n, taps) == result.lengths[padding]
    assert result.lengths == {"valid": n - taps + 1, "same": n, "full": n + taps - 1}
    assert result.value == pytest.approx(float(result.window @ kernel)) == pytest.approx(result.output[500])


def test_kernels_do_what_the_page_says(trace):
    smooth = ecg_kernel("smoothing", 250, width_ms=40)
    assert smooth.sum() == pytest.approx(1.0) and np.ptp(smooth) == 0  # an average keeps a flat level
    np.testing.assert_allclose(ecg_kernel("derivative", 250), [-125.0, 0.0, 125.0])
    qrs = ecg_kernel("QRS-matched", 250, width_ms=40, template=trace.clean, r_peak=int(trace.r_peaks[1]))
    assert np.linalg.norm(qrs) == pytest.approx(1.0) and qrs.sum() == pytest.approx(0.0, abs=1e-12)
    assert np.argmax(qrs) == len(qrs) // 2  # the R peak in the middle
    # the derivative of a ramp rising 1 mV per sample is 250 mV/s
    ramp = compute_signal_convolution(np.arange(20.0), ecg_kernel("derivative", 250), padding="valid", rate=250)
    np.testing.assert_allclose(ramp.output, 250.0)
    # smoothing averages white noise away: 10 taps leave about 1/√10 of its standard deviation
    still = make_ecg(noise=0.1, wander=0.0, seed=5)
    noise = still.signal - still.clean
    smoothed = compute_signal_convolution(noise, smooth, padding="valid")
    assert np.std(smoothed.output) == pytest.approx(np.std(noise) / np.sqrt(10), rel=0.2)


@pytest.mark.parametrize("noise", [0.0, 0.05, 0.15])
def test_the_qrs_matched_kernel_finds_every_beat_at_its_r_peak(noise):
    trace = make_ecg(6.0, heart_rate=80.0, noise=noise, seed=2)
    kernel = ecg_kernel("QRS-matched", trace.rate, template=trace.clean, r_peak=int(trace.r_peaks[1]))
    result = compute_signal_convolution(trace.signal, kernel, padding="same", rate=trace.rate, name="QRS-matched")
    assert len(result.peaks) == len(trace.r_peaks)
    assert np.max(np.abs(result.peaks - trace.r_peaks)) <= 2  # within 8 ms at 250 Hz
    assert result.beats_per_minute == pytest.approx(80.0, rel=0.04)


def test_make_ecg_is_seeded_and_places_the_waves_as_listed():
    a, b = make_ecg(seed=3), make_ecg(seed=3)
    np.testing.assert_array_equal(a.signal, b.signal)
    assert not np.array_equal(a.signal, make_ecg(seed=4).signal)
    clean = make_ecg(noise=0.0, wander=0.0, seed=0)
    np.testing.assert_allclose(clean.signal, clean.clean)
    r = clean.r_peaks[1]
    assert clean.clean[r] == pytest.approx(ECG_WAVES["R"][1], abs=0.05)  # R is 1 mV tall
    assert np.argmax(clean.clean[r - 75:r - 25]) + r - 75 == pytest.approx(r - 50, abs=2)  # P 200 ms before R
    assert len(make_ecg(10.0, heart_rate=60.0).r_peaks) in (9, 10)


def test_lecture_000_example_cross_correlation_gives_19_25_37_43_and_convolution_flips():
    from scipy.signal import convolve2d, correlate2d

    flip = compute_flip(LECTURE_X, LECTURE_W, with_keras=True)
    np.testing.assert_array_equal(flip.correlation, [[19, 25], [37, 43]])  # lecture 000
    np.testing.assert_array_equal(flip.correlation, correlate2d(LECTURE_X, LECTURE_W, "valid"))
    np.testing.assert_array_equal(flip.convolution, convolve2d(LECTURE_X, LECTURE_W, "valid"))
    np.testing.assert_array_equal(flip.convolution, [[5, 11], [23, 29]])
    np.testing.assert_array_equal(flip.flipped, [[3, 2], [1, 0]])
    np.testing.assert_allclose(flip.keras, [[19, 25], [37, 43]])  # Keras' Conv2D: cross-correlation


def test_flip_defaults_are_the_lecture_example_and_lecture_003s_6x6_edge_example_holds():
    from scipy.signal import correlate2d

    flip = compute_flip()
    np.testing.assert_array_equal(flip.x, LECTURE_X)
    np.testing.assert_array_equal(flip.correlation, [[19, 25], [37, 43]])
    assert flip.keras is None
    x = np.array([[3, 1, 0, 2, 5, 6], [4, 2, 1, 1, 4, 7], [5, 4, 0, 0, 1, 2],
                  [1, 2, 2, 1, 3, 4], [6, 3, 1, 0, 5, 2], [3, 1, 0, 1, 3, 3]])
    edge = compute_flip(x, [[-1, 0, 1]] * 3)
    expected = [[-11, -4, 9, 12], [-7, -6, 5, 11], [-9, -8, 6, 7], [-7, -4, 8, 7]]  # lecture 003
    np.testing.assert_array_equal(edge.correlation, expected)
    np.testing.assert_array_equal(edge.convolution, -np.asarray(expected))  # flipping this kernel negates it
    np.testing.assert_array_equal(edge.correlation, correlate2d(x, [[-1, 0, 1]] * 3, "valid"))


@pytest.mark.parametrize("call", [
    lambda: correlate1d(np.ones(3), np.ones(5), "valid"),
    lambda: correlate1d(np.ones(5), np.ones(3), "causal"),
    lambda: compute_signal_convolution(np.ones(3), np.ones(5)),
    lambda: compute_flip(np.ones((2, 2)), np.ones((3, 3))),
    lambda: ecg_kernel("QRS-matched", 250),
    lambda: ecg_kernel("gaussian", 250),
    lambda: make_ecg(heart_rate=500),
])
def test_bad_arguments_fail_with_a_clear_message(call):
    with pytest.raises(ArgumentError):
        call()


# ------------------------------------------------------------ the page
def test_convolution_1d_page_lengths_beats_and_the_flip(app_page):
    at = app_page("convolution_1d.py", c1d_padding="valid")
    assert not at.exception
    metrics = {m.label: m.value for m in at.metric}
    assert (metrics["Input length n"], metrics["valid: n − F + 1"], metrics["full: n + F − 1"]) == ("1000", "980",
                                                                                                   "1020")
    text = " ".join(m.value for m in at.markdown)
    assert "find **5** beats where the trace has 5" in text
    assert "[[19 25]\n [37 43]]" in text and "[[5 11]\n [23 29]]" in text  # correlation, convolution
    at.segmented_control(key="c1d_kernel").set_value("derivative").run()
    assert not at.exception
    assert {m.label: m.value for m in at.metric}["valid: n − F + 1"] == "998"
    at.text_input(key="c1d_flip_kernel").set_value("1 2; x").run()
    assert not at.exception and any("is not valid" in e.value for e in at.error)
    at.text_input(key="c1d_flip_kernel").set_value("1 0; 0 1").run()
    assert not at.exception and any("the flip changes nothing" in c.value for c in at.caption)
