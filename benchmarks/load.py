"""How much the bot server carries: ``.venv/bin/python benchmarks/load.py``.

Starts the real server (``parley run``) on the demo assistant in a child process, with its
SQLite database (or ``--database URL``) in a temporary folder, and drives it over HTTP from
this process (asyncio + aiohttp, keep-alive connections), so the server and the load
generator each have a core of their own:

* **no-op** — ``GET /health`` from ``--conversations`` concurrent clients, as fast as the
  server answers: the web stack's own ceiling;
* **closed loop** — each of ``--conversations`` clients holds one conversation at a time
  (the demo's six-turn order dialogue over ``POST /webhooks/rest/webhook``, then a new
  sender), sending its next message when the answer arrives: the most turns per second;
* **open loop** — turns arrive at ``--rate`` per second spread over the conversations,
  whatever the server's speed: the latency users would see at that load (p50, p99);
* **swap** — the open loop again while the model is replaced with ``PUT /model`` every
  second (alternating two models): failed requests during swaps;
* **training** — the open loop again while training jobs run back to back
  (``POST /api/projects/default/train``; each runs in the server's child process): the
  latency users see while a model trains, against the open loop's (issue 6: flat).

It prints each phase's turns (or requests) per second, p50 and p99 latency and errors, the
ratio of closed-loop turns/s to no-op req/s, and the server's resident memory (after the
model is loaded, and at its peak). Targets (issue 5): ≥ 500 turns/s over REST with SQLite
and 100 concurrent conversations, zero errors, p99 ≤ 50 ms; RSS ≤ 200 MB; no failed
request during swaps.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Awaitable
from dataclasses import dataclass, field
from pathlib import Path

import aiohttp

PARLEY = Path(sys.executable).parent / "parley"
TOKEN = "benchmark-token"
DIALOGUE = [
    "hi there",
    "can I get a latte?",
    "large please",
    "no, forget it",
    "are you a bot?",
    "bye",
]
"""The demo conversation; it ends without a custom action, so no action server is needed."""


@dataclass
class Phase:
    name: str
    seconds: float = 0.0
    cpu_seconds: float = 0.0
    """The server's CPU time (user + system) during the phase."""
    latencies: list[float] = field(default_factory=list)
    errors: int = 0
    error_samples: list[str] = field(default_factory=list)

    def record(self, started: float, ok: bool, detail: str = "") -> None:
        self.latencies.append(time.perf_counter() - started)
        if not ok:
            self.errors += 1
            if len(self.error_samples) < 5:
                self.error_samples.append(detail)

    @property
    def rate(self) -> float:
        return len(self.latencies) / self.seconds if self.seconds else 0.0

    def percentile(self, fraction: float) -> float:
        ordered = sorted(self.latencies)
        if not ordered:
            return float("nan")
        return ordered[min(len(ordered) - 1, int(len(ordered) * fraction))] * 1000


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def peak_rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def prepare_models(folder: Path) -> tuple[Path, list[Path]]:
    """The demo project and two models of it (two seeds), for the swap phase."""
    project = folder / "demo"
    subprocess.run([str(PARLEY), "init", str(project)], check=True, capture_output=True)
    models = []
    for seed in (0, 1):
        subprocess.run(
            [str(PARLEY), "train", str(project), "--seed", str(seed), "--name", f"seed{seed}"],
            check=True,
            capture_output=True,
        )
        models.append(project / "models" / f"seed{seed}.tar.gz")
    return project, models


async def wait_ready(
    session: aiohttp.ClientSession, base: str, server: subprocess.Popen[bytes]
) -> None:
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise SystemExit(f"the server exited with {server.returncode}")
        try:
            async with session.get(f"{base}/ready") as response:
                if response.status == 200:
                    return
        except aiohttp.ClientError:
            pass
        await asyncio.sleep(0.2)
    raise SystemExit("the server did not become ready within 120 s")


async def noop(session: aiohttp.ClientSession, base: str, clients: int, seconds: float) -> Phase:
    phase = Phase("no-op GET /health")
    stop = time.perf_counter() + seconds

    async def client() -> None:
        while time.perf_counter() < stop:
            started = time.perf_counter()
            try:
                async with session.get(f"{base}/health") as response:
                    await response.read()
                    phase.record(started, response.status == 200, f"HTTP {response.status}")
            except aiohttp.ClientError as error:
                phase.record(started, False, repr(error))

    began = time.perf_counter()
    await asyncio.gather(*(client() for _ in range(clients)))
    phase.seconds = time.perf_counter() - began
    return phase


async def send(
    session: aiohttp.ClientSession, base: str, phase: Phase, sender: str, text: str
) -> None:
    started = time.perf_counter()
    try:
        async with session.post(
            f"{base}/webhooks/rest/webhook", json={"sender": sender, "message": text}
        ) as response:
            body = await response.read()
            ok = response.status == 200 and bool(json.loads(body))
            phase.record(started, ok, f"HTTP {response.status}: {body[:200]!r}")
    except (aiohttp.ClientError, json.JSONDecodeError) as error:
        phase.record(started, False, repr(error))


async def closed_loop(
    session: aiohttp.ClientSession, base: str, clients: int, seconds: float, run: str
) -> Phase:
    phase = Phase("closed loop (REST turns)")
    stop = time.perf_counter() + seconds

    async def client(number: int) -> None:
        for conversation in itertools.count():
            sender = f"{run}-{number}-{conversation}"
            for text in DIALOGUE:
                if time.perf_counter() >= stop:
                    return
                await send(session, base, phase, sender, text)

    began = time.perf_counter()
    await asyncio.gather(*(client(n) for n in range(clients)))
    phase.seconds = time.perf_counter() - began
    return phase


async def open_loop(
    session: aiohttp.ClientSession,
    base: str,
    *,
    conversations: int,
    rate: float,
    seconds: float,
    run: str,
    name: str,
) -> Phase:
    """``rate`` turns a second in all, each conversation sending its next message on its
    own schedule (or as soon as its previous answer came, when the server lags)."""
    phase = Phase(name)
    per_conversation = rate / conversations
    began = time.perf_counter()
    stop = began + seconds

    async def conversation(number: int) -> None:
        # Spread the conversations' schedules over the first interval.
        due = began + number / rate
        for index in itertools.count():
            sender = f"{run}-{number}-{index // len(DIALOGUE)}"
            delay = due - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            if time.perf_counter() >= stop:
                return
            await send(session, base, phase, sender, DIALOGUE[index % len(DIALOGUE)])
            due += 1 / per_conversation

    await asyncio.gather(*(conversation(n) for n in range(conversations)))
    phase.seconds = time.perf_counter() - began
    return phase


async def swapping(
    session: aiohttp.ClientSession, base: str, models: list[Path], seconds: float
) -> tuple[int, int]:
    """Replace the model every second for ``seconds``: (swaps done, swaps failed)."""
    done = failed = 0
    stop = time.perf_counter() + seconds
    for model in itertools.cycle(reversed(models)):
        if time.perf_counter() >= stop:
            break
        async with session.put(
            f"{base}/model",
            json={"model_file": str(model)},
            headers={"Authorization": f"Bearer {TOKEN}"},
        ) as response:
            await response.read()
            done += 1
            failed += response.status != 204
        await asyncio.sleep(1.0)
    return done, failed


async def training(session: aiohttp.ClientSession, base: str, seconds: float) -> tuple[int, int]:
    """Keep a training job running for ``seconds``: (jobs finished, jobs failed)."""
    auth = {"Authorization": f"Bearer {TOKEN}"}
    finished = failed = 0
    stop = time.perf_counter() + seconds
    while time.perf_counter() < stop:
        async with session.post(f"{base}/api/projects/default/train", json={}, headers=auth) as r:
            job = await r.json()
        while True:
            await asyncio.sleep(0.25)
            async with session.get(f"{base}/api/jobs/{job['id']}", headers=auth) as r:
                state = (await r.json())["status"]
            if state in {"succeeded", "failed", "cancelled"}:
                finished += 1
                failed += state != "succeeded"
                break
    return finished, failed


async def measured(pid: int, running: Awaitable[Phase]) -> Phase:
    """``running``'s phase, with the server's CPU time during it."""
    before = cpu_seconds(pid)
    phase = await running
    phase.cpu_seconds = cpu_seconds(pid) - before
    return phase


def report(phase: Phase, unit: str = "turns/s") -> None:
    print(
        f"  {phase.name:<34} {phase.rate:8.0f} {unit:<7} p50 {phase.percentile(0.5):7.1f} ms"
        f"  p99 {phase.percentile(0.99):7.1f} ms  {len(phase.latencies):6d} requests"
        f"  {phase.errors} errors"
    )
    if phase.latencies:
        per_request = phase.cpu_seconds / len(phase.latencies) * 1000
        share = phase.cpu_seconds / phase.seconds
        print(f"      server CPU {per_request:.2f} ms a request, {share:.0%} of a core")
    for sample in phase.error_samples:
        print(f"      e.g. {sample}")


async def measure(args: argparse.Namespace, folder: Path) -> int:
    project, models = prepare_models(folder)
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    env = {
        **os.environ,
        "PARLEY_HOME": str(folder / "home"),
        "PARLEY_AUTH_TOKEN": TOKEN,
        "PARLEY_LOGGING__LEVEL": "warning",
    }
    if args.database:
        env["DATABASE_URL"] = args.database
    server = subprocess.Popen(
        [str(PARLEY), "run", str(project), "--port", str(port), "--model", str(models[0])],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE if args.quiet else None,
    )
    connector = aiohttp.TCPConnector(limit=args.conversations + 10)
    try:
        async with aiohttp.ClientSession(connector=connector) as session:
            await wait_ready(session, base, server)
            idle_rss = rss_mb(server.pid)
            run = f"b{int(time.time())}"
            print(
                f"Server: parley run (pid {server.pid}), {args.database or 'SQLite'}; "
                f"{args.conversations} concurrent conversations, {args.seconds:.0f} s a phase"
            )
            # Warm up: first requests load lazily imported code and fill caches.
            await closed_loop(session, base, args.conversations, 2.0, f"{run}w")
            pid = server.pid
            no_op = await measured(pid, noop(session, base, args.conversations, args.seconds))
            closed = await measured(
                pid, closed_loop(session, base, args.conversations, args.seconds, f"{run}c")
            )
            steady = {"conversations": args.conversations, "rate": args.rate}
            opened = await measured(
                pid,
                open_loop(
                    session,
                    base,
                    **steady,
                    seconds=args.seconds,
                    run=f"{run}o",
                    name=f"open loop at {args.rate:.0f} turns/s",
                ),
            )
            before = cpu_seconds(pid)
            swap_phase, (swaps, swap_failures) = await asyncio.gather(
                open_loop(
                    session,
                    base,
                    **steady,
                    seconds=args.seconds,
                    run=f"{run}s",
                    name=f"open loop at {args.rate:.0f}/s + swaps",
                ),
                swapping(session, base, models, args.seconds),
            )
            swap_phase.cpu_seconds = cpu_seconds(pid) - before
            before = cpu_seconds(pid)
            train_phase, (jobs, job_failures) = await asyncio.gather(
                open_loop(
                    session,
                    base,
                    **steady,
                    seconds=args.seconds,
                    run=f"{run}t",
                    name=f"open loop at {args.rate:.0f}/s + training",
                ),
                training(session, base, args.seconds),
            )
            train_phase.cpu_seconds = cpu_seconds(pid) - before
            print()
            report(no_op, "req/s")
            report(closed)
            report(opened)
            report(swap_phase)
            report(train_phase)
            print()
            ratio = closed.rate / no_op.rate if no_op.rate else float("nan")
            print(f"  closed-loop turns/s ÷ no-op req/s: {ratio:.2f}")
            print(f"  model swaps during load: {swaps} ({swap_failures} failed)")
            print(
                f"  training jobs during load: {jobs} ({job_failures} failed); p99 "
                f"{train_phase.percentile(0.99):.1f} ms against {opened.percentile(0.99):.1f} ms "
                "without"
            )
            print(
                f"  server RSS: {idle_rss:.0f} MB with the demo model loaded, "
                f"peak {peak_rss_mb(server.pid):.0f} MB"
            )
            failures = (
                no_op.errors
                + closed.errors
                + opened.errors
                + swap_phase.errors
                + train_phase.errors
            )
            return 1 if failures or swap_failures or job_failures else 0
    finally:
        server.send_signal(signal.SIGTERM)
        try:
            server.wait(timeout=15)
        except subprocess.TimeoutExpired:
            server.kill()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--conversations", type=int, default=100, help="concurrent conversations")
    parser.add_argument("--seconds", type=float, default=15.0, help="length of each phase")
    parser.add_argument("--rate", type=float, default=500.0, help="open-loop turns per second")
    parser.add_argument("--database", help="DATABASE_URL for the server (default: SQLite)")
    parser.add_argument("--quiet", action="store_true", help="hide the server's log")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="parley-load-") as folder:
        return asyncio.run(measure(args, Path(folder)))


if __name__ == "__main__":
    sys.exit(main())
