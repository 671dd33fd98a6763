"""Synthetic 1-D biomedical signals: an ECG-like trace (P, QRS and T waves with noise).

What this shows: a signal that a 1-D convolution can smooth, differentiate or
search for a shape (lecture 003's "Convolution 1D"; the same locality and weight
sharing as on images, along time instead of space).

Each heartbeat is a sum of five Gaussian bumps (P, Q, R, S, T) at fixed offsets
from its R peak, in millivolts, in the spirit of McSharry et al.'s ECGSYN
(IEEE TBME 2003) but without its differential equations. Not a recording:
the shapes are textbook-like, the numbers are for teaching.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from models._arguments import check_float, check_int

__all__ = ["ECG_WAVES", "EcgTrace", "make_ecg"]

# wave: (offset from the R peak in s, amplitude in mV, width (standard deviation) in s)
ECG_WAVES: dict[str, tuple[float, float, float]] = {
    "P": (-0.20, 0.15, 0.025),
    "Q": (-0.035, -0.12, 0.008),
    "R": (0.0, 1.00, 0.010),
    "S": (0.035, -0.25, 0.009),
    "T": (0.28, 0.30, 0.045),
}


@dataclass(frozen=True)
class EcgTrace:
    """An ECG-like trace and where its beats are.

    Attributes:
        time: ``(n,)`` seconds, ``n = seconds × rate``.
        signal: ``(n,)`` millivolts: the beats plus baseline wander plus noise.
        clean: ``(n,)`` the beats alone (no wander, no noise).
        r_peaks: ``(beats,)`` sample index of every R peak.
        rate: samples per second (Hz).
        heart_rate: beats per minute the beats were placed at (before jitter).
        noise: standard deviation of the added noise (mV).
    """

    time: np.ndarray
    signal: np.ndarray
    clean: np.ndarray
    r_peaks: np.ndarray
    rate: int
    heart_rate: float
    noise: float


def make_ecg(seconds: float = 4.0, *, rate: int = 250, heart_rate: float = 72.0, noise: float = 0.05,
             wander: float = 0.1, seed: int = 0) -> EcgTrace:
    """An ECG-like trace: P-QRS-T beats at ``heart_rate`` with noise and a slow baseline wander.

    What this shows: a 1-D signal with a sharp, repeated shape (the QRS complex)
    buried in noise, for smoothing, derivative and matched kernels to act on.

    Args:
        seconds: length of the trace (1 to 30 s).
        rate: sampling rate in Hz (100 to 1000; 250 is common for diagnostic ECGs).
        heart_rate: beats per minute (30 to 200); each interval jitters by ±3 %.
        noise: standard deviation of white Gaussian noise, mV (0 to 1).
        wander: amplitude of a 0.3 Hz baseline wander (breathing), mV (0 to 1).
        seed: the jitter and the noise come from ``np.random.default_rng(seed)``.
    """
    seconds = check_float("seconds", seconds, low=1.0, high=30.0)
    rate = check_int("rate", rate, low=100, high=1000)
    heart_rate = check_float("heart_rate", heart_rate, low=30.0, high=200.0)
    noise = check_float("noise", noise, low=0.0, high=1.0)
    wander = check_float("wander", wander, low=0.0, high=1.0)
    seed = check_int("seed", seed, low=0)
    rng = np.random.default_rng(seed)
    n = int(round(seconds * rate))
    t = np.arange(n) / rate
    interval = 60.0 / heart_rate
    beats, tb = [], 0.3 + 0.2 * interval  # the first P wave starts inside the trace
    while tb < seconds - 0.05:
        beats.append(tb)
        tb += interval * (1.0 + rng.uniform(-0.03, 0.03))
    clean = np.zeros(n)
    for tb in beats:
        for offset, amplitude, width in ECG_WAVES.values():
            clean += amplitude * np.exp(-0.5 * ((t - tb - offset) / width) ** 2)
    baseline = wander * np.sin(2 * np.pi * 0.3 * t + rng.uniform(0, 2 * np.pi))
    signal = clean + baseline + noise * rng.standard_normal(n)
    r_peaks = np.array([int(round(tb * rate)) for tb in beats], dtype=np.int64)
    return EcgTrace(t, signal, clean, r_peaks, rate, heart_rate, noise)
