"""Multi-worker training: two worker processes on 127.0.0.1 train the one-process curve, each on its half of a batch.

Every worker runs in its own process (TensorFlow joins a cluster once, at program start).
"""
from __future__ import annotations

import importlib.util
import json
import os
import re
import sys
import textwrap
import time
from pathlib import Path

import pytest

from models import multiworker
from models._arguments import ArgumentError
from models.distribution import data_parallel
from models.multiworker import cluster_env, run_workers, worker_commands

ROOT = Path(__file__).resolve().parents[1]
ENV = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3", "CUDA_VISIBLE_DEVICES": "", "KERAS_BACKEND": "tensorflow",
       "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))}

# Each worker: the multi-worker run, then in the same process the same call on one device (the reference),
# the rows of the first global batch this worker was given, and whether Keras alone can fit across workers.
WORKER = textwrap.dedent("""
    import json
    from models.distribution import data_parallel, join_cluster
    strategy = join_cluster()  # before any model exists
    import keras, numpy as np
    from models.batches import epoch_orders_seed, training_batches
    from models.mlp import build_mlp
    from models.training import train

    rng = np.random.default_rng(0)
    x = rng.normal(size=(128, 4)).astype("float32")
    y = (x[:, 0] * x[:, 1] > 0).astype("int64")
    out = {}
    for name, dist in (("multi", "multiworker"), ("one", None)):
        m = build_mlp(4, (16,), seed=0)
        h = train(m, x, y, epochs=2, batch_size=32, seed=0, distribution=dist, validation_data=(x[:64], y[:64]),
                  optimizer=keras.optimizers.SGD(0.1))
        out[name] = dict(loss=h.metric("loss").tolist(), val_loss=h.metric("val_loss").tolist(), device=h.device,
                         status=h.status, weights=[w.tolist() for w in m.get_weights()])

    def rows(batch):  # a batch's samples as row numbers of x
        return sorted(int(np.flatnonzero((x == r).all(1))[0]) for r in np.asarray(batch))

    first_epoch = lambda: training_batches(x, y, 32, shuffle=True, seed=epoch_orders_seed(0, 0))  # a fresh one each
    out["global_first"] = rows(next(iter(first_epoch()))[0])
    local = next(iter(strategy.experimental_distribute_dataset(first_epoch())))[0]
    out["mine_first"] = rows(strategy.experimental_local_results(local)[0])

    try:  # Keras' own fit across workers (keras-team/keras#20585): the reason models.distribution patches its copy
        with strategy.scope():
            plain = build_mlp(4, (16,), seed=0)
            plain.compile(optimizer="sgd", loss="sparse_categorical_crossentropy")
        plain.fit(x, y, epochs=1, batch_size=32, verbose=0)
        out["keras_alone"] = "ok"
    except Exception as err:
        out["keras_alone"] = f"{type(err).__name__}: {str(err)[:300]}"
    print("RESULT" + json.dumps(out), flush=True)
""")


def _results(runs):
    out = []
    for run in runs:
        line = next((l for l in run.output.splitlines() if l.startswith("RESULT")), None)
        assert run.returncode == 0 and line, f"worker {run.index} (rc {run.returncode}):\n{run.output[-3000:]}"
        out.append(json.loads(line[len("RESULT"):]))
    return out


@pytest.mark.slow
def test_two_worker_processes_train_the_one_process_curve_each_on_half_of_every_batch():
    runs = run_workers([[sys.executable, "-c", WORKER]] * 2, env=ENV, timeout=240)
    w0, w1 = _results(runs)
    print(w0["multi"]["device"], w0["multi"]["loss"], w0["one"]["loss"], sep="\n")
    # The workers exchange gradients every step: one run, seen twice, to the last bit.
    for key in ("loss", "val_loss", "weights", "status"):
        assert w0["multi"][key] == w1["multi"][key]
    assert w0["multi"]["status"] == "finished" and len(w0["multi"]["loss"]) == 2
    # One process on the same global batches: the same steps up to float rounding of the two half-batch sums.
    for key in ("loss", "val_loss"):
        assert max(abs(a - b) for a, b in zip(w0["multi"][key], w0["one"][key])) < 1e-5, key
    import numpy as np

    for a, b in zip(w0["multi"]["weights"], w0["one"]["weights"]):
        np.testing.assert_allclose(a, b, atol=1e-5)
    # Both workers hold all 128 samples and build the same seeded batches; the strategy gives each its half.
    assert w0["global_first"] == w1["global_first"]
    assert len(w0["mine_first"]) == len(w1["mine_first"]) == 16
    assert sorted(w0["mine_first"] + w1["mine_first"]) == w0["global_first"]
    # The device list names both workers, and which one this history came from.
    for i, w in enumerate((w0, w1)):
        device = w["multi"]["device"]
        assert device.startswith("2 replica(s) with tf.distribute.MultiWorkerMirroredStrategy: worker 0 at 127.0.0.1:")
        assert device.count("this process") == 1 and "worker 1 at 127.0.0.1:" in device
        assert re.search(rf"worker {i} at 127\.0\.0\.1:\d+ \(CPU:0, this process\)", device), device
    # When Keras fixes fit across workers upstream, this fails: then drop models.distribution._fit_across_workers.
    assert w0["keras_alone"] != "ok", "Keras' own fit works across workers now: the patch can go"
    assert "PerReplica" in w0["keras_alone"] or "Invalid reduction dimension" in w0["keras_alone"], w0["keras_alone"]


JAX_WORKER = textwrap.dedent("""
    import json
    from models.distribution import join_cluster
    dist = join_cluster()  # jax.distributed.initialize, before any model exists
    import jax, keras, numpy as np
    from models.batches import training_batches
    from models.mlp import build_mlp
    from models.training import train

    rng = np.random.default_rng(0)
    x = rng.normal(size=(128, 4)).astype("float32")
    y = (x[:, 0] * x[:, 1] > 0).astype("int64")
    out = {"process": jax.process_index(), "processes": jax.process_count()}
    for name, d in (("multi", "multiworker"), ("one", None)):
        m = build_mlp(4, (16,), seed=0)
        h = train(m, x, y, epochs=2, batch_size=32, seed=0, distribution=d, optimizer=keras.optimizers.SGD(0.1))
        out[name] = dict(loss=h.metric("loss").tolist(), device=h.device, status=h.status,
                         weights=[w.tolist() for w in m.get_weights()])
    with dist.scope():  # what this process feeds as its part of the first (unshuffled) global batch
        xb, _ = training_batches(x, y, 32, shuffle=False)[0]
    out["mine_first"] = sorted(int(np.flatnonzero((x == r).all(1))[0]) for r in np.asarray(xb))
    print("RESULT" + json.dumps(out), flush=True)
""")


@pytest.mark.slow
@pytest.mark.skipif(importlib.util.find_spec("jax") is None, reason="jax is not installed")
def test_two_jax_processes_train_the_one_process_curve_each_on_half_of_every_batch():
    env = {**ENV, "KERAS_BACKEND": "jax", "JAX_PLATFORMS": "cpu"}
    w0, w1 = _results(run_workers([[sys.executable, "-c", JAX_WORKER]] * 2, env=env, timeout=240))
    print(w0["multi"]["device"], w0["multi"]["loss"], w0["one"]["loss"], sep="\n")
    assert (w0["process"], w1["process"], w0["processes"]) == (0, 1, 2)
    assert w0["multi"] == w1["multi"] and w0["multi"]["status"] == "finished"
    assert w0["multi"]["device"].startswith("2 replica(s) with keras.distribution.DataParallel: ")
    assert max(abs(a - b) for a, b in zip(w0["multi"]["loss"], w0["one"]["loss"])) < 1e-5
    import numpy as np

    for a, b in zip(w0["multi"]["weights"], w0["one"]["weights"]):
        np.testing.assert_allclose(a, b, atol=1e-5)
    # Each process feeds 16 of the batch's 32 rows, the other 16 come from the other process.
    assert len(w0["mine_first"]) == len(w1["mine_first"]) == 16
    assert sorted(w0["mine_first"] + w1["mine_first"]) == list(range(32))


def test_every_worker_gets_its_index_and_every_address():
    addresses = ["127.0.0.1:1111", "127.0.0.1:2222"]
    for i in range(2):
        env = cluster_env(i, addresses)
        assert json.loads(env["TF_CONFIG"]) == {"cluster": {"worker": addresses}, "task": {"type": "worker", "index": i}}
        assert env["KERAS_DISTRIBUTION_JOB_ADDRESSES"] == "127.0.0.1:1111,127.0.0.1:2222"
        assert env["KERAS_DISTRIBUTION_NUM_PROCESSES"] == "2" and env["KERAS_DISTRIBUTION_PROCESS_ID"] == str(i)


def test_the_launcher_gives_each_process_its_own_cluster_slot():
    show = "import json, os; c = json.loads(os.environ['TF_CONFIG']); print(c['task']['index'], *c['cluster']['worker'])"
    runs = run_workers([[sys.executable, "-c", show]] * 3, timeout=60)
    lines = [r.output.split() for r in runs]
    assert [int(l[0]) for l in lines] == [0, 1, 2]
    assert lines[0][1:] == lines[1][1:] == lines[2][1:] and len(set(lines[0][1:])) == 3  # distinct ports


def test_when_one_worker_fails_the_others_are_stopped_instead_of_waiting_forever(monkeypatch):
    monkeypatch.setattr(multiworker, "GRACE_S", 1.0)
    t0 = time.monotonic()
    runs = run_workers([[sys.executable, "-c", "raise SystemExit(3)"],
                        [sys.executable, "-c", "import time; time.sleep(120)"]], timeout=100)
    assert runs[0].returncode == 3 and not runs[0].timed_out
    assert runs[1].timed_out and runs[1].returncode != 0
    assert time.monotonic() - t0 < 60


@pytest.mark.parametrize("tf_config, expected", [
    (None, "TF_CONFIG, which is not set"),
    ("{not json", "not a cluster description"),
    ('{"cluster": {}}', "not a cluster description"),
])
def test_multiworker_without_a_cluster_says_how_to_start_workers(monkeypatch, tf_config, expected):
    if os.environ.get("KERAS_BACKEND", "tensorflow") != "tensorflow":
        pytest.skip("the TF_CONFIG messages are TensorFlow's path")
    if tf_config is None:
        monkeypatch.delenv("TF_CONFIG", raising=False)
    else:
        monkeypatch.setenv("TF_CONFIG", tf_config)
    with pytest.raises(ArgumentError, match=expected) as info:
        data_parallel("multiworker")
    assert "python -m models.multiworker" in str(info.value)


def test_the_launcher_asks_for_a_model_and_sets_the_distribution_itself(capsys):
    with pytest.raises(SystemExit):
        multiworker.main(["--workers", "2"])
    assert "name the model" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        multiworker.main(["--workers", "2", "mlp", "--distribution", "mirrored"])
    assert "set by the launcher" in capsys.readouterr().err


@pytest.mark.parametrize("save", [["--save", "m.keras"], ["--save=m.keras"]])
def test_only_the_chief_saves_the_model(save):
    args = ["cnn", "--epochs", "3", *save, "--seed", "1"]
    commands = worker_commands(args, 3)
    after = [c[c.index("--as-worker") + 1:] for c in commands]
    assert after[0] == args
    assert after[1] == after[2] == ["cnn", "--epochs", "3", "--seed", "1"]
