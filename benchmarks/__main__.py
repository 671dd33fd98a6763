"""Run every benchmark, print one table, write benchmarks/results/latest.json.

    python -m benchmarks            # full run
    python -m benchmarks --quick    # smaller sizes, for a smoke test
    python -m benchmarks landscape  # only bench_landscape.py
    python -m benchmarks classroom --sessions 10   # a class pressing Train at once, in Chromium
"""
from __future__ import annotations

import argparse
import importlib
import json
import os
import pkgutil
import sys
import time
import traceback
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

from models.quiet import quiet_native_logs  # noqa: E402

quiet_native_logs()  # TensorFlow's start-up lines stay out of the table (MEDLENS_VERBOSE=1 shows them)

import benchmarks  # noqa: E402
from benchmarks.common import Row, machine  # noqa: E402

__all__ = ["table", "main"]


def _fmt(v, unit=""):
    if v is None:
        return "-"
    if isinstance(v, float):
        return f"{v:.3g}{unit}"
    return f"{v}{unit}"


def table(rows: list[Row]) -> str:
    head = ("group", "benchmark", "ours", "baseline", "unit", "ratio", "target", "met", "note")
    body = [(r.group, r.name, _fmt(r.ours), _fmt(r.baseline), r.unit, _fmt(r.ratio, "×") if r.ratio else "-",
             r.target, {True: "yes", False: "NO", None: "-"}[r.met], r.note) for r in rows]
    widths = [max(len(str(x)) for x in col) for col in zip(head, *body)]
    line = lambda cells: "| " + " | ".join(str(c).ljust(w) for c, w in zip(cells, widths)) + " |"
    return "\n".join([line(head), "|" + "|".join("-" * (w + 2) for w in widths) + "|", *map(line, body)])


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks")
    parser.add_argument("only", nargs="*", help="benchmark module suffixes to run (default: all)")
    parser.add_argument("--quick", action="store_true", help="smaller sizes (smoke test)")
    parser.add_argument("--sessions", type=int, default=None,
                        help="students in the classroom benchmark (default 10, 3 with --quick; at most 30)")
    parser.add_argument("--out", default=str(Path(__file__).parent / "results" / "latest.json"))
    args = parser.parse_args(argv)
    if args.sessions is not None:
        if not 1 <= args.sessions <= 30:
            parser.error("--sessions must be between 1 and 30")
        os.environ["MEDLENS_CLASSROOM_SESSIONS"] = str(args.sessions)

    names = sorted(m.name for m in pkgutil.iter_modules(benchmarks.__path__) if m.name.startswith("bench_"))
    if args.only:
        names = [n for n in names if n.removeprefix("bench_") in args.only]
    rows: list[Row] = []
    failures = []
    t0 = time.perf_counter()
    for name in names:
        print(f"running {name}…", file=sys.stderr, flush=True)
        try:
            rows.extend(importlib.import_module(f"benchmarks.{name}").run(quick=args.quick))
        except Exception:
            failures.append(name)
            traceback.print_exc()
    info = machine()
    print(f"\nmachine: {info.get('cpu', '?')} · {info['cpus']} cores · {info.get('device')} · "
          f"keras {info.get('keras')} ({info.get('backend')}) · python {info['python']}")
    print(table(rows))
    print(f"\n{len(rows)} comparisons in {time.perf_counter() - t0:.0f} s"
          + (f"; FAILED: {', '.join(failures)}" if failures else ""))
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps({"machine": info, "quick": args.quick, "rows": [r.as_dict() for r in rows],
                               "failed": failures, "time": time.strftime("%Y-%m-%d %H:%M:%S")}, indent=2))
    print(f"wrote {out}")
    return 1 if failures else 0


if __name__ == "__main__":
    raise SystemExit(main())
