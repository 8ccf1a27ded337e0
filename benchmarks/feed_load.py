"""Loopback load on the read-only feed (`tankerwatch serve`): errors, latency percentiles, requests/s.

Fills a store with alerts (default 2,000), starts `tankerwatch serve` on it in a subprocess on a free
127.0.0.1 port, and has N client threads (default 8, keep-alive connections) make requests over every
route: alert pages at random cursors, single alerts, visits, vessels, chips, health. Meanwhile a writer
appends a scene of alerts every half second (as a batch would) and SSE subscribers count the events
they are pushed. Prints errors (any non-200 or broken body), latency p50/p90/p99 per route and overall,
and requests/s. Exits 1 on any error.

    python benchmarks/feed_load.py                       # 2,000 alerts, 8 clients, 2,000 requests
    python benchmarks/feed_load.py --clients 16 --requests 5000 --alerts 5000

The store is filled through AlertStore.record_scene with its "could not have sailed here" check skipped:
that check reads every earlier alert for each sighting, so filling thousands of alerts through it takes
minutes; the rows written are the ones record_scene writes.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import random
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import defaultdict
from datetime import datetime, timedelta, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tankerwatch.config import MatchConfig, VisitConfig  # noqa: E402
from tankerwatch.inference.visits import AlertStore  # noqa: E402
from tests.test_visits import PORT_NAMES, sighting  # noqa: E402

T0 = datetime(2024, 5, 1, 2, 31, tzinfo=timezone.utc)
PER_SCENE = 50
# eight vessels: IMO numbers n00001 + their check digit
IMOS = [f"{n}00001{(n * 7 + 2) % 10}" for n in range(1, 9)]


def _write_chip(out: Path):
    def write(ident, alert_id: str) -> str:
        rel = f"chips/{alert_id}.png"
        (out / "chips").mkdir(exist_ok=True)
        (out / rel).write_bytes(b"\x89PNG\r\n\x1a\n" + os.urandom(2048))
        return rel

    return write


def _record(store: AlertStore, scene: int, n: int) -> int:
    idents = [
        sighting(f"b{scene}", imo=IMOS[k % len(IMOS)], lon=133.0 + 0.001 * k + 0.0001 * (scene % 7)) for k in range(n)
    ]
    new = store.record_scene(
        f"b{scene}",
        f"/scenes/b{scene}.tif",
        T0 + timedelta(hours=6 * scene),
        idents,
        MatchConfig(),
        VisitConfig(gap_hours=72.0),
        _write_chip(store.out_dir),
        PORT_NAMES,
    )
    return len(new)


def _open_store(out: Path) -> AlertStore:
    store = AlertStore(out)
    store._unreachable = lambda *args: False  # type: ignore[method-assign]  # quadratic; see the docstring
    return store


def fill(out: Path, n_alerts: int) -> int:
    """Scenes of PER_SCENE alerts until the store holds n_alerts; the number of scenes written."""
    scenes, total = 0, 0
    with _open_store(out) as store:
        while total < n_alerts:
            total += _record(store, scenes, min(PER_SCENE, n_alerts - total))
            scenes += 1
    return scenes


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(out: Path, port: int) -> subprocess.Popen:
    code = "import sys; from tankerwatch.cli.serve import serve; serve(sys.argv[1:])"
    args = [sys.executable, "-c", code, str(out), "--port", str(port), "--log-level", "warning"]
    proc = subprocess.Popen(args, cwd=ROOT)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            conn.request("GET", "/health")
            if conn.getresponse().status == 200:
                return proc
        except OSError:
            time.sleep(0.1)
    proc.kill()
    raise SystemExit("the feed server did not start")


def percentiles(xs: list[float]) -> tuple[float, float, float]:
    q = statistics.quantiles(xs, n=100, method="inclusive") if len(xs) > 1 else xs * 99
    return q[49], q[89], q[98]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--alerts", type=int, default=2000, help="alerts in the store before the load")
    ap.add_argument("--clients", type=int, default=8, help="client threads")
    ap.add_argument("--requests", type=int, default=2000, help="requests in all")
    ap.add_argument("--subscribers", type=int, default=2, help="SSE clients connected during the load")
    ap.add_argument("--no-writer", action="store_true", help="no batch appending alerts during the load")
    args = ap.parse_args()

    with tempfile.TemporaryDirectory(prefix="feed-load-") as tmp:
        out = Path(tmp)
        t = time.perf_counter()
        scenes = fill(out, args.alerts)
        print(f"store: {args.alerts} alerts in {scenes} scenes, filled in {time.perf_counter() - t:.1f} s")
        with AlertStore(out) as store:
            alerts = store.alerts()
        alert_ids = [a["alert_id"] for a in alerts]
        port = _free_port()
        proc = start_server(out, port)
        try:
            return _load(out, port, args, alert_ids, scenes)
        finally:
            proc.terminate()
            proc.wait(timeout=15)


def _load(out: Path, port: int, args: argparse.Namespace, alert_ids: list[str], scenes: int) -> int:
    n_cursor = len(alert_ids)
    routes = [
        ("alerts", lambda r: f"/alerts?after={r.randrange(n_cursor)}&limit=50"),
        ("alert", lambda r: f"/alerts/{r.choice(alert_ids)}"),
        ("visits", lambda r: f"/visits?imo={r.choice(IMOS)}&limit=50"),
        ("vessel", lambda r: f"/vessels/{r.choice(IMOS)}?limit=50"),
        ("chip", lambda r: f"/chips/{r.choice(alert_ids)}.png"),
        ("health", lambda r: "/health"),
    ]
    latencies: dict[str, list[float]] = defaultdict(list)
    errors: list[str] = []
    lock = threading.Lock()
    per_client = [args.requests // args.clients + (i < args.requests % args.clients) for i in range(args.clients)]

    def client(i: int, n: int) -> None:
        rng = random.Random(i)
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        for k in range(n):
            name, make = routes[(i + k) % len(routes)]
            path = make(rng)
            t0 = time.perf_counter()
            try:
                conn.request("GET", path)
                resp = conn.getresponse()
                body = resp.read()
                dt = time.perf_counter() - t0
                ok = resp.status == 200 and (name == "chip" or isinstance(json.loads(body), dict))
                problem = None if ok else f"{path}: {resp.status} {body[:120]!r}"
            except (OSError, http.client.HTTPException, ValueError) as e:
                dt, problem = time.perf_counter() - t0, f"{path}: {type(e).__name__}: {e}"
                conn.close()
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
            with lock:
                latencies[name].append(dt)
                if problem:
                    errors.append(problem)
        conn.close()

    pushed = [0] * args.subscribers
    stop, unsubscribe = threading.Event(), threading.Event()

    subscriptions: list[http.client.HTTPConnection] = []

    def subscriber(i: int) -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        subscriptions.append(conn)
        conn.request("GET", "/alerts/stream")
        resp = conn.getresponse()
        while not unsubscribe.is_set():
            try:
                line = resp.fp.readline()
            except (OSError, ValueError):  # hung up below
                break
            if not line:
                break
            if line.startswith(b"event: alert"):
                pushed[i] += 1
        conn.close()

    written = [0]

    def writer() -> None:
        with _open_store(out) as store:
            scene = scenes
            while not stop.is_set():
                written[0] += _record(store, scene, 10)
                scene += 1
                stop.wait(0.5)

    subs = [threading.Thread(target=subscriber, args=(i,), daemon=True) for i in range(args.subscribers)]
    for s in subs:
        s.start()
    time.sleep(1.0)  # the subscribers are connected before anything new is written
    background = [] if args.no_writer else [threading.Thread(target=writer)]
    for b in background:
        b.start()
    clients = [threading.Thread(target=client, args=(i, n)) for i, n in enumerate(per_client)]
    t0 = time.perf_counter()
    for c in clients:
        c.start()
    for c in clients:
        c.join()
    wall = time.perf_counter() - t0
    stop.set()
    for b in background:
        b.join()
    deadline = time.monotonic() + 5.0  # the subscribers' last polls
    while any(p < written[0] for p in pushed) and time.monotonic() < deadline:
        time.sleep(0.1)
    unsubscribe.set()
    for conn in subscriptions:  # hang up, so the server is not left waiting on open streams at exit
        if conn.sock is not None:
            conn.sock.shutdown(socket.SHUT_RDWR)
    for s in subs:
        s.join(timeout=5)
    every = [x for xs in latencies.values() for x in xs]

    print(f"load: {len(every)} requests, {args.clients} clients, {wall:.2f} s, {len(every) / wall:.0f} requests/s")
    print(f"errors: {len(errors)}")
    for e in errors[:10]:
        print(f"  {e}")
    print(f"{'route':<8} {'n':>5} {'p50 ms':>8} {'p90 ms':>8} {'p99 ms':>8}")
    for name, xs in [*sorted(latencies.items()), ("all", every)]:
        p50, p90, p99 = percentiles(xs)
        print(f"{name:<8} {len(xs):>5} {p50 * 1e3:>8.1f} {p90 * 1e3:>8.1f} {p99 * 1e3:>8.1f}")
    if not args.no_writer:
        print(f"writer: {written[0]} alerts appended during the load; SSE subscribers were pushed {pushed}")
    missed = not args.no_writer and any(p != written[0] for p in pushed)
    return 1 if errors or missed else 0


if __name__ == "__main__":
    sys.exit(main())
