"""Load the evaluate endpoint and a bare endpoint of the same server with wrk; print figures.

    .venv/bin/python bench/run.py [--server granian|uvicorn] [--workers N]
                                  [--connections 32] [--duration 10] [--distinct]
                                  [--inline-records N]

Starts ``bareme``'s app (plus ``/bench/bare``) on a free loopback port, warms both
endpoints, then runs wrk against each for a bounded time and prints requests/s,
p50/p99 latency and the server's CPU time per request (all its processes, from
``/proc``, where it exists). The body is one customer's 20 usage records of the sample
data, over six metrics. Needs ``wrk`` (Debian: ``apt-get install wrk``).
"""

from __future__ import annotations

import argparse
import itertools
import math
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import msgspec

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from api.keys import new_key  # noqa: E402
from api.settings import INLINE_RECORDS  # noqa: E402
from bareme.sample import SAMPLE_CUSTOMERS, sample_usage  # noqa: E402
from engine.timeline import parse_period  # noqa: E402

LUA = """
wrk.method = "POST"
wrk.body = io.open("{body}", "rb"):read("*a")
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer {key}"
local distinct = {distinct}
local cut = string.find(wrk.body, "{marker}", 1, true)
local head, tail = string.sub(wrk.body, 1, cut - 1), string.sub(wrk.body, cut + {width})
local counter = 0
if distinct then
  request = function()
    counter = counter + 1
    return wrk.format(nil, nil, nil, head .. string.format("%012d", counter) .. tail)
  end
end
"""
MARKER = "000000000000"
"""Stands in the first event id; in ``--distinct`` runs each request puts its own number."""


def body(records: int = 20) -> bytes:
    period = parse_period("2026-10", ZoneInfo("Europe/Paris"))
    customer = SAMPLE_CUSTOMERS[0]
    by_metric: dict[str, list[dict[str, Any]]] = {}
    for row in sample_usage(period):
        if row["customer_id"] == customer["id"]:
            by_metric.setdefault(row["metric"], []).append(row)
    mixed = itertools.chain.from_iterable(zip(*by_metric.values(), strict=False))
    # Each event id ends with the marker; --distinct changes its first occurrence only.
    usage = [{"event_id": f"{r['event_id']}-{MARKER}", "metric": r["metric"],
              "quantity": r["quantity"],
              "timestamp": r["timestamp"], "attributes": {"region": r["region"]}}
             for r in itertools.islice(mixed, records)]
    return msgspec.json.encode({"customer": dict(customer), "usage": usage, "period": "2026-10"})


def evaluation_cost(raw: bytes, runs: int = 300) -> float:
    """Median milliseconds of one uncached evaluation in this process (no server, no I/O)."""
    from api import ApiSettings, create_app
    from api.routes.evaluate import evaluate_request
    from api.wire import EvaluateRequest

    found = create_app(ApiSettings(repo=str(ROOT), memo_size=0, access_log="")).state.services
    decoder = msgspec.json.Decoder(EvaluateRequest)
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        evaluate_request(decoder.decode(raw), found)
        times.append(time.perf_counter() - started)
    return sorted(times)[runs // 2] * 1000


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start(server: str, workers: int, port: int, key: str, log: Path,
          inline_records: int = INLINE_RECORDS) -> subprocess.Popen[bytes]:
    code = ("from api.server import run; from api.settings import ApiSettings, "
            "keys_from_environment; "
            f"run(ApiSettings(repo={str(ROOT)!r}, port={port}, server={server!r}, "
            f"workers={workers}, access_log={str(log)!r}, inline_records={inline_records}, "
            "keys=keys_from_environment()), "
            "target='bench.app:app')")
    env = {**os.environ, "BAREME_API_KEYS": f"billing={key}", "PYTHONPATH": str(ROOT)}
    process = subprocess.Popen([sys.executable, "-c", code], cwd=ROOT, env=env)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/ready", timeout=2).status_code == 200:
                return process
        except httpx.HTTPError:
            time.sleep(0.2)
    process.terminate()
    raise SystemExit("the server did not become ready")


def wrk(url: str, script: Path, connections: int, duration: int,
        server: int | None = None) -> dict[str, float]:
    """One wrk run; with ``server`` (its pid), the server's CPU time per request too."""
    before = server_cpu(server)
    out = subprocess.run(["wrk", "-t1", f"-c{connections}", f"-d{duration}s", "--latency",
                          "-s", str(script), url], capture_output=True, text=True,
                         check=True, timeout=duration + 30).stdout
    after = server_cpu(server)
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]
    done = int(re.search(r"(\d+) requests in", out).group(1))  # type: ignore[union-attr]
    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    cpu = (after - before) / done * 1e6 if before is not None and after is not None else None
    return {"rps": rps, "p50": _ms(out, "50"), "p99": _ms(out, "99"),
            "errors": float(non2xx.group(1)) if non2xx else 0.0,
            "cpu_us": cpu if cpu is not None else float("nan")}


def server_cpu(pid: int | None) -> float | None:
    """CPU seconds of ``pid`` and its children (the workers), from ``/proc``; else ``None``."""
    if pid is None or not Path(f"/proc/{pid}").exists():
        return None
    pids = [pid, *(int(child) for task in Path(f"/proc/{pid}/task").glob("*/children")
                   for child in task.read_text().split())]
    ticks = 0
    for each in pids:
        try:
            fields = Path(f"/proc/{each}/stat").read_text().rsplit(")", 1)[1].split()
        except FileNotFoundError:
            continue
        ticks += int(fields[11]) + int(fields[12])  # utime, stime
    return ticks / os.sysconf("SC_CLK_TCK")


def _ms(out: str, pct: str) -> float:
    found = re.search(rf"^\s+{pct}%\s+([\d.]+)(us|ms|s)\s*$", out, re.MULTILINE)
    assert found, out
    value, unit = float(found.group(1)), found.group(2)
    return value / 1000 if unit == "us" else value * 1000 if unit == "s" else value


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--server", default="granian", choices=("granian", "uvicorn"))
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--duration", type=int, default=10)
    parser.add_argument("--inline-records", type=int, default=INLINE_RECORDS,
                        metavar="N",
                        help="Evaluate requests of at most N records in the event loop "
                             "rather than in a thread (the server's --inline-records; "
                             "default: the server's default).")
    parser.add_argument("--distinct", action="store_true",
                        help="Make every request's usage unique (a new first event id), so "
                             "no evaluation is answered from the memo of repeated requests.")
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is needed: apt-get install wrk")
    key, port = new_key(), free_port()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        (folder / "body.json").write_bytes(body())
        script = folder / "post.lua"
        script.write_text(LUA.format(body=folder / "body.json", key=key, marker=MARKER,
                                     width=len(MARKER),
                                     distinct="true" if args.distinct else "false"))
        process = start(args.server, args.workers, port, key, folder / "access.log",
                        args.inline_records)
        try:
            check = httpx.post(f"http://127.0.0.1:{port}/v1/evaluate",
                               content=(folder / "body.json").read_bytes(),
                               headers={"Authorization": f"Bearer {key}"})
            check.raise_for_status()
            results = {}
            for name, path in (("evaluate", "/v1/evaluate"), ("bare", "/bench/bare")):
                url = f"http://127.0.0.1:{port}{path}"
                wrk(url, script, args.connections, 2)  # warm-up
                results[name] = wrk(url, script, args.connections, args.duration, process.pid)
        finally:
            process.terminate()
            process.wait(timeout=30)
    print(f"server={args.server} workers={args.workers} connections={args.connections} "
          f"duration={args.duration}s cores={os.cpu_count()} body={len(body())} bytes, "
          f"20 usage records, {'distinct' if args.distinct else 'repeated'} bodies, "
          f"inline up to {args.inline_records} records")
    for name, r in results.items():
        print(f"{name:9s} {r['rps']:9.0f} req/s  p50 {r['p50']:7.2f} ms  p99 {r['p99']:7.2f} ms"
              f"  server CPU {r['cpu_us']:5.0f} µs/request  non-2xx {int(r['errors'])}")
    print(f"one uncached evaluation, in process: {evaluation_cost(body()):.2f} ms of CPU")
    ratio = results["evaluate"]["rps"] / results["bare"]["rps"]
    spent, budget = results["evaluate"]["cpu_us"], 2 * results["bare"]["cpu_us"]
    if math.isfinite(spent):  # measured where /proc exists
        print(f"server CPU per evaluate request: {spent:.0f} µs; half the bare throughput "
              f"allows about {budget:.0f} µs (twice the bare endpoint's)")
    print(f"evaluate/bare throughput: {ratio:.0%} (goal ≥ 50%); "
          f"evaluate p99 {results['evaluate']['p99']:.2f} ms (goal < 10 ms)")


if __name__ == "__main__":
    main()
