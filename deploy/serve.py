"""Several medlens app processes behind nginx with sticky sessions, started and stopped together.

    python -m deploy.serve --processes 2 --port 8080        # then open http://127.0.0.1:8080

Each process is ``streamlit run streamlit_app.py`` on its own port on 127.0.0.1 (only nginx
faces the network); nginx runs ``deploy/nginx-medlens.conf`` rendered for those ports, with its
pid, logs and the apps' logs in ``--runtime-dir``. Ctrl-C (or SIGTERM) stops nginx, then the
apps. If any of them exits on its own, the rest are stopped too: half a class losing its
sessions silently is worse than a visible stop.
"""
from __future__ import annotations

import argparse
import os
import pwd
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

__all__ = ["render_config", "find_nginx", "main"]

ROOT = Path(__file__).resolve().parents[1]
TEMPLATE = Path(__file__).with_name("nginx-medlens.conf")


def render_config(app_ports: list[int], listen: str, runtime_dir: Path, *, as_root: bool | None = None) -> str:
    """The nginx config for these app ports, listening on ``listen`` ("host:port"), files in ``runtime_dir``."""
    if not app_ports:
        raise ValueError("app_ports is empty: give at least one app port for nginx to send students to")
    as_root = os.geteuid() == 0 if as_root is None else as_root
    # A root master needs an unprivileged user for its workers; nginx's built-in default
    # (nobody:nobody) fails on Debian, which has no group "nobody".
    user = ""
    if as_root:
        name = next((n for n in ("www-data", "nginx", "nobody") if _user_exists(n)), "nobody")
        user = f"user {name};"
    servers = "\n".join(f"        server 127.0.0.1:{p};" for p in app_ports)
    text = TEMPLATE.read_text()
    for field, value in {"user": user, "runtime": str(runtime_dir), "listen": listen, "servers": servers}.items():
        text = text.replace("{{" + field + "}}", value)
    if "{{" in text:
        raise ValueError(f"{TEMPLATE} has a field render_config does not fill: {text[text.index('{{'):][:40]!r}")
    return text


def _user_exists(name: str) -> bool:
    try:
        pwd.getpwnam(name)
        return True
    except KeyError:
        return False


def find_nginx() -> str | None:
    """nginx on PATH, else Debian's /usr/sbin/nginx (not on a normal user's PATH)."""
    return shutil.which("nginx") or ("/usr/sbin/nginx" if os.access("/usr/sbin/nginx", os.X_OK) else None)


def _port_in_use(host: str, port: int) -> bool:
    with socket.socket() as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind((host, port))
        except OSError:
            return True
    return False


def _wait_healthy(url: str, procs: list[subprocess.Popen], timeout_s: float) -> None:
    deadline = time.time() + timeout_s
    while time.time() < deadline:
        if any(p.poll() is not None for p in procs):
            raise RuntimeError(f"a process exited before {url} answered")
        try:
            if urllib.request.urlopen(url, timeout=2).status == 200:
                return
        except OSError:
            time.sleep(0.3)
    raise RuntimeError(f"{url} did not answer within {timeout_s:.0f} s")


def _stop(procs: list[subprocess.Popen]) -> None:
    """SIGTERM each (nginx first: no new requests), then wait; SIGKILL what is left after 15 s."""
    for p in procs:
        if p.poll() is None:
            p.terminate()
    deadline = time.time() + 15
    for p in procs:
        try:
            p.wait(max(0.1, deadline - time.time()))
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait()


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m deploy.serve", description=__doc__.split("\n")[0])
    ap.add_argument("--processes", type=int, default=2, help="app processes (default 2)")
    ap.add_argument("--port", type=int, default=8080, help="nginx's port, the one students open (default 8080)")
    ap.add_argument("--address", default="127.0.0.1",
                    help="nginx's address (default 127.0.0.1; 0.0.0.0 for a classroom network)")
    ap.add_argument("--first-app-port", type=int, default=8640, help="apps on this port and the next ones")
    ap.add_argument("--runtime-dir", type=Path, help="nginx's pid and logs, the apps' logs (default: a temp folder)")
    ap.add_argument("--nginx", default=None, help="the nginx binary (default: found on PATH or /usr/sbin)")
    args = ap.parse_args(argv)
    if args.processes < 1:
        ap.error(f"--processes must be at least 1, got {args.processes}")
    nginx = args.nginx or find_nginx()
    if not nginx:
        ap.error("nginx is not installed: `apt-get install nginx` (Debian, Ubuntu) or pass --nginx PATH")
    if not os.access(nginx, os.X_OK):
        ap.error(f"--nginx {nginx!r} is not an executable file: give the path of the nginx binary")
    app_ports = [args.first_app_port + i for i in range(args.processes)]
    busy = [f"{h}:{p}" for h, p in [("127.0.0.1", p) for p in app_ports] + [(args.address, args.port)]
            if _port_in_use(h, p)]
    if busy:
        ap.error(f"port(s) in use: {', '.join(busy)}; stop what holds them or pick --port / --first-app-port")
    runtime = (args.runtime_dir or Path(tempfile.mkdtemp(prefix="medlens-serve-"))).resolve()
    runtime.mkdir(parents=True, exist_ok=True)
    conf = runtime / "nginx.conf"
    listen = f"[{args.address}]:{args.port}" if ":" in args.address else f"{args.address}:{args.port}"  # IPv6
    conf.write_text(render_config(app_ports, listen, runtime))
    # Where to check that nginx answers, and what to tell the teacher to open.
    wildcard = args.address in ("0.0.0.0", "::")
    health = f"http://{f'127.0.0.1:{args.port}' if wildcard else listen}/_stcore/health"
    shown = f"http://<this machine's name or address>:{args.port}" if wildcard else f"http://{listen}"

    env = dict(os.environ)
    # The processes share the machine: together they should run about as many trainings as one
    # server would (one per 4 cores), each at least one. The teacher's own setting wins.
    env.setdefault("MEDLENS_MAX_TRAININGS", str(max(1, (os.cpu_count() or 1) // 4 // args.processes)))
    procs: list[subprocess.Popen] = []

    def on_signal(signum, frame):  # SIGTERM stops like Ctrl-C, even mid-start: the `finally` below
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, on_signal)
    try:
        subprocess.run([nginx, "-t", "-q", "-p", str(runtime), "-c", str(conf), "-e", str(runtime / "nginx-error.log")],
                       check=True)
        for port in app_ports:
            # A file, not a pipe: nobody reads a pipe while the class runs, and a full pipe blocks the app.
            with open(runtime / f"app-{port}.log", "w") as log:
                procs.append(subprocess.Popen(
                    [sys.executable, "-m", "streamlit", "run", "streamlit_app.py", "--server.address", "127.0.0.1",
                     "--server.port", str(port), "--server.headless", "true", "--server.fileWatcherType", "none",
                     "--browser.gatherUsageStats", "false"],
                    cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT))
        for port in app_ports:
            _wait_healthy(f"http://127.0.0.1:{port}/_stcore/health", procs, 120)
        procs.insert(0, subprocess.Popen(  # first in the list: stopped first
            [nginx, "-p", str(runtime), "-c", str(conf), "-e", str(runtime / "nginx-error.log")]))
        _wait_healthy(health, procs, 30)
        print(f"medlens: open {shown} ({args.processes} app processes on "
              f"{', '.join(map(str, app_ports))}, MEDLENS_MAX_TRAININGS={env['MEDLENS_MAX_TRAININGS']} each; "
              f"logs in {runtime}). Ctrl-C stops all.", flush=True)
        while all(p.poll() is None for p in procs):
            time.sleep(0.5)
        print(f"medlens: a process stopped on its own; stopping the others. Logs in {runtime}",
              file=sys.stderr, flush=True)
        return 1
    except KeyboardInterrupt:
        return 0
    except (RuntimeError, subprocess.CalledProcessError) as exc:
        print(f"medlens: could not start ({exc}); logs in {runtime}", file=sys.stderr, flush=True)
        return 1
    finally:
        # A second Ctrl-C must not cut the stop short and leave processes behind.
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        _stop(procs)
        print("medlens: stopped", flush=True)


if __name__ == "__main__":
    sys.exit(main())
