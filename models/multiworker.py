"""Start N training worker processes on this machine, wired together as one cluster.

Terminal::

    python -m models.multiworker --workers 2 cnn --epochs 5 --save cnn.keras

runs the terminal trainer (``python -m models.training cnn --epochs 5 --save
cnn.keras --distribution multiworker``) in N processes, each of which first
joins the cluster (:func:`models.distribution.join_cluster`: both engines set
their cluster up before their first computation, i.e. before the model is
built). Every process gets its own free port on 127.0.0.1 and
the cluster in the variables each backend reads: ``TF_CONFIG`` (TensorFlow's
``MultiWorkerMirroredStrategy``) and ``KERAS_DISTRIBUTION_JOB_ADDRESSES`` /
``_NUM_PROCESSES`` / ``_PROCESS_ID`` (``keras.distribution.initialize`` under
JAX). Worker 0 (the chief) prints to this terminal and alone writes ``--save``;
the others' output is shown only if they fail. When one worker fails the others
are stopped: they would wait for it forever in the next gradient exchange.

To train across machines, start one worker per machine with that machine's
index and every machine's address in ``TF_CONFIG``; this launcher covers the
case of several processes on one machine (several GPUs, or a test).
"""
from __future__ import annotations

import argparse
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass

from models._arguments import check_int

__all__ = ["WorkerRun", "free_ports", "cluster_env", "run_workers", "worker_commands", "main"]

#: Seconds the other workers get to end on their own after one has failed (then they are stopped).
GRACE_S = 10.0


@dataclass(frozen=True)
class WorkerRun:
    """How one worker process ended: its index, exit status and everything it printed."""

    index: int
    returncode: int
    output: str
    timed_out: bool = False


def free_ports(n: int, host: str = "127.0.0.1") -> list[int]:
    """``n`` distinct ports that were free a moment ago (the OS picks them; all held until all are known)."""
    sockets = []
    try:
        for _ in range(n):
            s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            s.bind((host, 0))
            sockets.append(s)
        return [s.getsockname()[1] for s in sockets]
    finally:
        for s in sockets:
            s.close()


def cluster_env(index: int, addresses: Sequence[str]) -> dict[str, str]:
    """The variables that make process ``index`` one worker of the cluster at ``addresses`` (both backends)."""
    return {
        "TF_CONFIG": json.dumps({"cluster": {"worker": list(addresses)},
                                 "task": {"type": "worker", "index": index}}),
        "KERAS_DISTRIBUTION_JOB_ADDRESSES": ",".join(addresses),
        "KERAS_DISTRIBUTION_NUM_PROCESSES": str(len(addresses)),
        "KERAS_DISTRIBUTION_PROCESS_ID": str(index),
    }


def run_workers(commands: Sequence[Sequence[str]], *, env: dict[str, str] | None = None,
                timeout: float | None = None, chief_to_terminal: bool = False,
                host: str = "127.0.0.1") -> list[WorkerRun]:
    """Run ``commands[i]`` as worker i of one cluster on ``host`` and wait for all of them.

    Args:
        commands: one argv per worker (usually the same one; e.g. only the chief saves).
        env: the environment to start from (default: this process's).
        timeout: seconds for the whole run; then every worker still running is killed.
        chief_to_terminal: worker 0 prints straight to this terminal instead of being captured.

    Returns:
        One :class:`WorkerRun` per worker, in index order.
    """
    n = check_int("workers", len(commands), low=1)
    addresses = [f"{host}:{p}" for p in free_ports(n, host)]
    base = dict(os.environ if env is None else env)
    with tempfile.TemporaryDirectory(prefix="medlens-workers-") as folder:
        logs, procs = [], []
        for i, argv in enumerate(commands):
            log = open(os.path.join(folder, f"worker{i}.log"), "w+")  # files, not pipes: nothing blocks on a full pipe
            logs.append(log)
            out = None if (chief_to_terminal and i == 0) else log
            procs.append(subprocess.Popen(list(argv), env={**base, **cluster_env(i, addresses)},
                                          stdout=out, stderr=subprocess.STDOUT if out else None))
        deadline = None if timeout is None else time.monotonic() + timeout
        failed_at = None
        timed_out = set()
        try:
            while any(p.poll() is None for p in procs):
                now = time.monotonic()
                if failed_at is None and any(p.returncode not in (None, 0) for p in procs):
                    failed_at = now
                if (deadline is not None and now > deadline) or (failed_at is not None and now > failed_at + GRACE_S):
                    for i, p in enumerate(procs):
                        if p.poll() is None:
                            timed_out.add(i)
                            p.kill()
                time.sleep(0.1)
        finally:  # Ctrl-C or an error here: no worker is left behind waiting for the others
            for p in procs:
                if p.poll() is None:
                    p.kill()
        runs = []
        for i, (p, log) in enumerate(zip(procs, logs)):
            p.wait()
            log.seek(0)
            runs.append(WorkerRun(i, p.returncode, log.read(), timed_out=i in timed_out))
            log.close()
    return runs


def _without_save(args: list[str]) -> list[str]:
    """The trainer's arguments without ``--save PATH``: only the chief writes the model."""
    out, skip = [], False
    for a in args:
        if skip:
            skip = False
        elif a == "--save":
            skip = True
        elif not a.startswith("--save="):
            out.append(a)
    return out


def worker_commands(trainer_args: Sequence[str], workers: int) -> list[list[str]]:
    """The argv of each worker: the terminal trainer's arguments, ``--save`` only for the chief (worker 0)."""
    workers = check_int("workers", workers, low=1)
    worker = [sys.executable, "-m", "models.multiworker", "--as-worker"]
    return [worker + (list(trainer_args) if i == 0 else _without_save(list(trainer_args))) for i in range(workers)]


def main(argv: Sequence[str] | None = None) -> int:
    """Train a course model with N local worker processes (python -m models.training's arguments follow)."""
    parser = argparse.ArgumentParser(
        prog="python -m models.multiworker", description=main.__doc__,
        epilog="Example: python -m models.multiworker --workers 2 cnn --epochs 5 --save cnn.keras")
    parser.add_argument("--workers", type=int, default=2, help="worker processes to start (default 2)")
    parser.add_argument("--timeout", type=float, default=None, help="seconds before every worker is stopped")
    parser.add_argument("--as-worker", action="store_true", help=argparse.SUPPRESS)  # inside one worker process
    args, trainer_args = parser.parse_known_args(argv)
    if args.as_worker:
        from models.distribution import join_cluster
        from models.training import main as train_main

        join_cluster()
        return train_main(trainer_args + ["--distribution", "multiworker"])
    if args.workers < 1:
        parser.error(f"--workers must be at least 1, got {args.workers}")
    if not trainer_args:
        parser.error("name the model to train, e.g. `--workers 2 cnn --epochs 5` (see python -m models.training -h)")
    if "--distribution" in trainer_args or any(a.startswith("--distribution=") for a in trainer_args):
        parser.error("--distribution is set by the launcher (multiworker); leave it out")
    runs = run_workers(worker_commands(trainer_args, args.workers), timeout=args.timeout, chief_to_terminal=True)
    for run in runs[1:]:
        if run.returncode != 0:
            why = "stopped (timeout, or another worker failed)" if run.timed_out else f"exit status {run.returncode}"
            print(f"worker {run.index} {why}; its last output:\n{run.output[-3000:]}", file=sys.stderr)
    return next((r.returncode if r.returncode > 0 else 1 for r in runs if r.returncode != 0), 0)


if __name__ == "__main__":
    raise SystemExit(main())
