"""models.train: a trained model that is dropped leaves none of its traced graphs behind."""
import gc
import weakref

import numpy as np


def _graphs() -> list:
    from tensorflow.python.framework.func_graph import FuncGraph

    gc.collect()
    return [o for o in gc.get_objects() if isinstance(o, FuncGraph)]


class _NewGraphs:
    """Traced graphs alive now that were not alive at the start (other tests' graphs in this worker process
    may be collected meanwhile: a plain count would go down for reasons of theirs)."""

    def __init__(self):
        self._old = weakref.WeakSet(_graphs())

    def count(self) -> int:
        return sum(g not in self._old for g in _graphs())


def _data():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(64, 2)).astype("float32")
    return x, (x[:, 0] > 0).astype("float32")


def test_a_dropped_model_leaves_no_traced_graphs_behind():
    from models import build_mlp, train

    x, y = _data()

    def one(seed):
        model = build_mlp(2, hidden=(4,), seed=seed)
        train(model, x, y, epochs=1, batch_size=32, optimizer="adam")

    one(0)  # the first run may trace what every later run shares
    new = _NewGraphs()
    for seed in (1, 2):
        one(seed)
    # Without building Adam's slots eagerly: 22 graphs a run (2 cond branches per slot); without skipping the
    # one-replica all-reduce: 6 a run (the whole traced step, pinned by TensorFlow's gradient registry).
    assert new.count() == 0, f"{new.count()} traced graphs outlived their models"


def test_plain_keras_still_pins_the_traced_step_so_the_workaround_is_still_needed():
    """When TensorFlow fixes tensorflow/tensorflow#97697 this fails: then models/single_replica.py can go."""
    import keras

    from models import build_mlp

    x, y = _data()

    def one(seed):
        model = build_mlp(2, hidden=(4,), seed=seed)
        model.compile(optimizer="adam", loss="binary_crossentropy")
        model.fit(x, y, epochs=1, batch_size=32, verbose=0)

    one(0)
    new = _NewGraphs()
    one(1)
    assert keras.backend.backend() == "tensorflow"
    assert new.count() > 0


def test_skipping_the_one_replica_all_reduce_trains_the_same_weights():
    import keras

    from models import build_mlp
    from models.single_replica import skip_single_replica_all_reduce

    x, y = _data()

    def weights(patch):
        model = build_mlp(2, hidden=(4,), seed=3)
        model.compile(optimizer=keras.optimizers.Adam(0.05), loss="binary_crossentropy")
        if patch:
            assert skip_single_replica_all_reduce(model.optimizer)
        model.fit(x, y, epochs=3, batch_size=16, verbose=0, shuffle=False)
        return model.get_weights()

    for a, b in zip(weights(False), weights(True)):
        np.testing.assert_array_equal(a, b)


def test_a_data_parallel_strategy_keeps_its_all_reduce():
    import tensorflow as tf
    import keras

    from models.single_replica import skip_single_replica_all_reduce

    with tf.distribute.MirroredStrategy([tf.config.list_logical_devices("CPU")[0].name]).scope():
        optimizer = keras.optimizers.Adam()
    assert not skip_single_replica_all_reduce(optimizer)  # a strategy of its own: left as it is
    assert skip_single_replica_all_reduce(keras.optimizers.Adam())  # the default strategy: skipped
