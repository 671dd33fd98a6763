"""Which device trains: the GPU when the backend sees one, else the CPU."""
from __future__ import annotations

import functools
import os
import sys

__all__ = ["device_name", "device_summary_without_loading"]


@functools.lru_cache(maxsize=1)
def device_name() -> str:
    """A human-readable name of the device Keras will train on, e.g. "GPU: NVIDIA H100"."""
    import keras

    backend = keras.backend.backend()
    if backend == "tensorflow":
        import tensorflow as tf

        gpus = tf.config.list_physical_devices("GPU")
        if gpus:
            details = tf.config.experimental.get_device_details(gpus[0])
            return f"GPU: {details.get('device_name', gpus[0].name)} (tensorflow)"
        return f"CPU ({os.cpu_count()} cores, tensorflow)"
    if backend == "jax":
        import jax

        dev = jax.devices()[0]
        kind = "GPU" if dev.platform == "gpu" else dev.platform.upper()
        return f"{kind}: {getattr(dev, 'device_kind', dev)} (jax)"
    return f"{backend}"


def device_summary_without_loading() -> str:
    """What the home page can say before TensorFlow is imported (it must stay instant)."""
    if "keras" in sys.modules and "tensorflow" in sys.modules:
        return device_name()
    backend = os.environ.get("KERAS_BACKEND", "tensorflow")
    gpu = os.path.exists("/proc/driver/nvidia/version") or os.path.exists("/dev/nvidia0")
    where = "an NVIDIA GPU was found" if gpu else f"no GPU found: CPU with {os.cpu_count()} cores"
    return f"{where}; backend {backend} (loaded when a page first trains)"
