"""models.train: a trained model that is dropped leaves none of its traced graphs behind."""
import gc

import numpy as np


def test_a_dropped_model_leaves_no_traced_graphs_behind():
    import keras
    from tensorflow.python.framework.func_graph import FuncGraph

    from models import build_mlp, train

    rng = np.random.default_rng(0)
    x = rng.normal(size=(64, 2)).astype("float32")
    y = (x[:, 0] > 0).astype("float32")

    def graphs():
        gc.collect()
        return sum(isinstance(o, FuncGraph) for o in gc.get_objects())

    def one(seed):
        model = build_mlp(2, hidden=(4,), seed=seed)
        train(model, x, y, epochs=1, batch_size=32, optimizer="adam")

    one(0)  # the first run may trace what every later run shares
    before = graphs()
    for seed in (1, 2):
        one(seed)
    # Without building Adam's slots eagerly: 22 graphs a run (2 cond branches per slot); with it 6 (not yet
    # traced to their holder).
    assert graphs() - before <= 2 * 8
