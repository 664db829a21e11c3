"""Gateway overhead: the stub called directly, through jmedllm, and through LiteLLM, in one run.

    python bench/gateway_overhead.py [--requests N] [--concurrency 100] [--duration S]
                                     [--rate R] [--json] [--save FILE] [--skip-litellm] [--quick]
                                     [--profile S] [--litellm PATH] [--keep]

Every server is its own process (none shares the GIL with the load generator or another
server), all on 127.0.0.1, all in front of the same fast stub backend
(:func:`jmedllm.serve.stub.create_stub_app`, request recording off):

* ``direct``   — the stub itself (the baseline);
* ``jmedllm``  — ``python -m jmedllm serve`` (one process) with one ``openai`` backend on the
  stub, ``guard: {policy: default}`` (input and output PII rails), a SQLite database in a
  temporary folder and a key made with ``jmedllm admin … key create``: API-key lookup, the
  guard, one hash-chained audit event, metrics and one JSON log line per request (the log
  goes to a file);
* ``jmedllm-noguard`` — the same with ``guard: {policy: off}``, to show the guard's share;
* ``litellm``  — LiteLLM proxy (``litellm --config … --num_workers 1``) with one
  ``openai/<model>`` entry on the stub, a master key, no database, no callbacks, no retries
  (the configuration LiteLLM's own benchmark page uses).

The load generator is ``wrk`` (Debian: ``apt-get install -y wrk``) with a Lua script for the
POST body and ``Authorization`` header; one wrk thread, so the servers keep most of the
2 cores. Phases, each over every target in turn:

1. **saturated** — ``--concurrency`` connections (100) without pauses (closed loop, as
   fast as the target answers): throughput, and latency that is mostly queueing (Little's
   law: ``latency ≈ connections / throughput``). Also CPU time per request of each
   server process, from ``/proc/PID/stat``.
2. **paced** — the same connections, each waiting an exponentially distributed pause
   before every request, ``--rate`` requests/s in all (Poisson arrivals; by default half
   the slowest target's saturated throughput, the same rate for every target): the
   latency a request sees when 100 clients are active but nobody queues. The *added
   latency* of a gateway is its percentile minus the direct one.
3. **max throughput** of one jmedllm process: saturated runs at 100, 200 and 400 connections.
4. **streaming TTFT**: 200 sequential streamed requests per target from a small httpx
   client; time to the first non-empty content delta, the stub's ``first_delay_s`` 0.
5. **memory soak**: ``--requests`` (default 30,000; the issue's figure is 100,000) requests
   through jmedllm in ten chunks, RSS (``VmRSS`` from ``/proc/PID/status``) after each,
   and a least-squares slope after the first chunk.
6. **audit check**: rows in the jmedllm database's ``audit_events`` against the requests wrk
   (its Lua counters) and the stream client sent to that gateway: exactly one each.

``--profile S`` adds a saturated run on jmedllm with ``py-spy record --gil`` attached for S
seconds (``pip install py-spy``; it is in the ``bench`` extra) and prints where the time
that holds the GIL goes, per request. The GIL is the gateway's ceiling: one process runs
Python on one core at a time, so GIL-milliseconds per request bound its throughput.

LiteLLM is not in the ``bench`` extra: ``litellm[proxy]`` pins ``rich<14`` and
``huggingface_hub<2``, which would downgrade what jmedllm uses. It lives in its own
virtual environment; ``make bench`` makes one at ``.venv/litellm``, by hand::

    python -m venv .venv/litellm && .venv/litellm/bin/pip install 'litellm[proxy]'

The script looks for ``--litellm PATH``, then ``.venv/litellm/bin/litellm``, then
``litellm`` on PATH, and skips LiteLLM (saying so) when none is found.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import math
import os
import shutil
import signal
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import yaml
from rich.console import Console
from rich.table import Table

REPO = Path(__file__).resolve().parents[1]
MODEL = "bench-model"
HOST = "127.0.0.1"
#: A clinical question without identifiers (the common case; the input rail still scans it).
PROMPT = (
    "65歳男性。2時間前からの胸痛と冷汗で救急外来を受診。心電図でII・III・aVFのST上昇を認める。"
    "初期対応と追加で確認すべき検査を簡潔に挙げてください。"
)
LITELLM_MASTER_KEY = "sk-bench-master-key"
#: Clock ticks per second, for utime/stime in /proc/PID/stat.
CLK_TCK = os.sysconf("SC_CLK_TCK")

# One wrk thread; per-thread counters (sent, received, non-2xx) are summed in done(), so the
# audit check knows every request that left, including those cut when the run ends.
# The optional delay() makes each connection pause an exponential time before each request,
# its first one included (paced phase).
WRK_LUA = """
local threads = {}
function setup(thread) table.insert(threads, thread) end
sent, received, non2xx = 0, 0, 0
local req
function init(args)
  local f = assert(io.open(args[1], "rb")); local body = f:read("*a"); f:close()
  local headers = {["Content-Type"] = "application/json"}
  if args[2] ~= "" then headers["Authorization"] = "Bearer " .. args[2] end
  mean_delay_ms = tonumber(args[3]) or 0
  math.randomseed(os.time())
  req = wrk.format("POST", wrk.path, headers, body)
end
function request() sent = sent + 1; return req end
function response(status, headers, body)
  received = received + 1
  if status < 200 or status > 299 then non2xx = non2xx + 1 end
end
%DELAY%
function done(summary, latency, requests)
  local s, r, n = 0, 0, 0
  for _, t in ipairs(threads) do s = s + t:get("sent"); r = r + t:get("received"); n = n + t:get("non2xx") end
  local e = summary.errors
  local p = {}
  for _, q in ipairs({50, 90, 95, 99, 99.9}) do p[#p + 1] = string.format('"%g":%d', q, latency:percentile(q)) end
  io.write(string.format(
    'WRKJSON {"duration_us":%d,"requests":%d,"sent":%d,"received":%d,"non2xx":%d,' ..
    '"connect":%d,"read":%d,"write":%d,"status":%d,"timeout":%d,' ..
    '"min_us":%d,"max_us":%d,"mean_us":%f,"percentiles_us":{%s}}\\n',
    summary.duration, summary.requests, s, r, n, e.connect, e.read, e.write, e.status, e.timeout,
    latency.min, latency.max, latency.mean, table.concat(p, ",")))
end
"""
WRK_DELAY = """
function delay()
  -- exponential pause: Poisson arrivals, so the 100 connections do not fire in step
  return math.floor(-mean_delay_ms * math.log(1 - math.random()))
end
"""

STUB_LAUNCHER = """
import collections, sys, uvicorn
from jmedllm.serve.stub import create_stub_app
app = create_stub_app()
app.state.stub.requests = collections.deque(maxlen=16)  # a soak must not grow the stub
uvicorn.run(app, host=sys.argv[1], port=int(sys.argv[2]), log_level="critical", access_log=False,
            lifespan="off")
"""


# --------------------------------------------------------------------------- processes


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


@dataclass
class Server:
    """A server process this script started (its own session, so it is ended by its pid)."""

    name: str
    process: subprocess.Popen[bytes]
    port: int
    log: Path

    @property
    def pid(self) -> int:
        return self.process.pid

    @property
    def url(self) -> str:
        return f"http://{HOST}:{self.port}"

    def wait_ready(self, path: str, timeout_s: float = 90.0, headers: dict[str, str] | None = None) -> None:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                break
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(self.url + path, headers=headers, timeout=2).status_code == 200:
                    return
            time.sleep(0.2)
        tail = self.log.read_text(errors="replace")[-3000:] if self.log.exists() else ""
        raise RuntimeError(f"{self.name} did not become ready on {self.url}{path}\n{tail}")

    def stop(self) -> None:
        if self.process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(timeout=5)


def start(name: str, argv: list[str], port: int, workdir: Path, env: dict[str, str]) -> Server:
    log = workdir / f"{name}.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            argv, cwd=REPO, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
        )
    return Server(name, process, port, log)


def clean_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("JMEDLLM_", "LITELLM_"))}
    env.update(HF_HUB_OFFLINE="1", TRANSFORMERS_OFFLINE="1", PYTHONUNBUFFERED="1")
    return env


def cpu_seconds(pid: int) -> float:
    """utime + stime of a process (all its threads), in seconds."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLK_TCK


def rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError(f"no VmRSS for pid {pid}")


# --------------------------------------------------------------------------- targets


@dataclass
class Target:
    key: str
    label: str
    server: Server
    token: str
    database: Path | None = None
    #: Requests this script sent to the target (wrk's Lua counters plus the stream client).
    sent: int = 0
    received: int = 0

    @property
    def chat_url(self) -> str:
        return f"{self.server.url}/v1/chat/completions"


def make_jmedllm(
    name: str, policy: str, stub_url: str, workdir: Path, env: dict[str, str], python: str
) -> Target:
    home = workdir / name
    home.mkdir()
    database = home / "gateway.db"
    config = {
        "home": str(home / "home"),
        "database_url": f"sqlite:///{database}",
        "models": [{"name": MODEL, "backends": [{"type": "openai", "base_url": f"{stub_url}/v1"}]}],
        "guard": {"policy": policy},
    }
    path = home / "gateway.yaml"
    path.write_text(yaml.safe_dump(config), encoding="utf-8")
    cli = [python, "-m", "jmedllm", "admin"]
    for args in (
        ["org", "create", "bench-hospital"],
        ["user", "create", "bench-user", "--org", "bench-hospital", "--role", "physician"],
    ):
        subprocess.run(
            [*cli, *args, "--config", str(path)], cwd=REPO, env=env, check=True, capture_output=True
        )
    made = subprocess.run(
        [*cli, "key", "create", "--user", "bench-user", "--config", str(path)],
        cwd=REPO,
        env=env,
        check=True,
        capture_output=True,
        text=True,
    )
    token = made.stdout.strip().splitlines()[-1]
    port = free_port()
    argv = [python, "-m", "jmedllm", "serve", "--config", str(path), "--port", str(port)]
    server = start(name, argv, port, workdir, env)
    label = f"jmedllm (guard {policy})"
    return Target(name, label, server, token, database)


def make_litellm(binary: str, stub_url: str, workdir: Path, env: dict[str, str]) -> Target:
    config = {
        "model_list": [
            {
                "model_name": MODEL,
                "litellm_params": {
                    "model": f"openai/{MODEL}",
                    "api_base": f"{stub_url}/v1",
                    "api_key": "sk-stub",
                },
            }
        ],
        "litellm_settings": {"callbacks": [], "num_retries": 0, "request_timeout": 30},
        "general_settings": {"master_key": LITELLM_MASTER_KEY},
    }
    path = workdir / "litellm.yaml"
    path.write_text(yaml.safe_dump(config), encoding="utf-8")
    port = free_port()
    # The bundled model price map: the proxy otherwise tries to download it at start.
    env = {**env, "LITELLM_LOCAL_MODEL_COST_MAP": "True", "LITELLM_LOG": "ERROR"}
    argv = [binary, "--config", str(path), "--host", HOST, "--port", str(port), "--num_workers", "1"]
    server = start("litellm", argv, port, workdir, env)
    return Target("litellm", "LiteLLM proxy", server, LITELLM_MASTER_KEY)


def find_litellm(explicit: str | None) -> str | None:
    candidates = [explicit] if explicit else [str(REPO / ".venv" / "litellm" / "bin" / "litellm"), "litellm"]
    for candidate in candidates:
        found = shutil.which(candidate) if candidate else None
        if found:
            return found
    return None


def litellm_version(binary: str) -> str:
    python = Path(binary).with_name("python")
    if not python.exists():
        return "?"
    result = subprocess.run(
        [str(python), "-c", "import importlib.metadata as m; print(m.version('litellm'))"],
        capture_output=True,
        text=True,
    )
    return result.stdout.strip() or "?"


# --------------------------------------------------------------------------- wrk


@dataclass
class WrkResult:
    connections: int
    duration_s: float
    requests: int
    sent: int
    non2xx: int
    socket_errors: dict[str, int]
    rps: float
    latency_ms: dict[str, float]
    cpu_ms_per_request: dict[str, float] = field(default_factory=dict)

    @property
    def errors(self) -> int:
        return self.non2xx + sum(self.socket_errors.values())


class Wrk:
    def __init__(self, binary: str, workdir: Path) -> None:
        self.binary = binary
        self.body = workdir / "body.json"
        body = {"model": MODEL, "messages": [{"role": "user", "content": PROMPT}], "max_tokens": 64}
        self.body.write_text(json.dumps(body, ensure_ascii=False), encoding="utf-8")
        self.plain = workdir / "wrk_plain.lua"
        self.plain.write_text(WRK_LUA.replace("%DELAY%", ""), encoding="utf-8")
        self.paced = workdir / "wrk_paced.lua"
        self.paced.write_text(WRK_LUA.replace("%DELAY%", WRK_DELAY), encoding="utf-8")

    def run(
        self,
        target: Target,
        *,
        connections: int,
        duration_s: float,
        rate: float | None = None,
        watch: dict[str, int] | None = None,
    ) -> WrkResult:
        """One wrk run on ``target``; ``watch`` names pids whose CPU time per request is measured."""
        script = self.paced if rate else self.plain
        mean_delay_ms = connections * 1000.0 / rate if rate else 0.0
        argv = [
            self.binary,
            "-t1",
            f"-c{connections}",
            f"-d{max(1, round(duration_s))}s",
            "--timeout",
            "30s",
            "--latency",
            "-s",
            str(script),
            target.chat_url,
            "--",
            str(self.body),
            target.token,
            f"{mean_delay_ms:.3f}",
        ]
        before = {name: cpu_seconds(pid) for name, pid in (watch or {}).items()}
        done = subprocess.run(argv, capture_output=True, text=True, check=False)
        after = {name: cpu_seconds(pid) for name, pid in (watch or {}).items()}
        line = next((x for x in done.stdout.splitlines() if x.startswith("WRKJSON ")), None)
        if line is None:
            raise RuntimeError(f"wrk gave no summary (exit {done.returncode}):\n{done.stdout}\n{done.stderr}")
        data = json.loads(line.removeprefix("WRKJSON "))
        # wrk calls request() once more before it starts, to check the request it builds
        # (script_verify_request); that one is never sent.
        data["sent"] -= 1
        target.sent += data["sent"]
        target.received += data["received"]
        seconds = data["duration_us"] / 1e6
        latency = {f"p{k}": v / 1000.0 for k, v in data["percentiles_us"].items()}
        latency.update(mean=data["mean_us"] / 1000.0, max=data["max_us"] / 1000.0)
        requests = data["requests"]
        cpu = {name: (after[name] - before[name]) * 1000.0 / max(1, requests) for name in after}
        return WrkResult(
            connections=connections,
            duration_s=seconds,
            requests=requests,
            sent=data["sent"],
            non2xx=data["non2xx"],
            socket_errors={k: data[k] for k in ("connect", "read", "write", "timeout")},
            rps=requests / seconds if seconds else 0.0,
            latency_ms=latency,
            cpu_ms_per_request=cpu,
        )


# --------------------------------------------------------------------------- streaming


def stream_ttft(target: Target, count: int) -> dict[str, float]:
    """``count`` sequential streamed chat requests: time to the first content delta, and to the end."""
    body = {
        "model": MODEL,
        "messages": [{"role": "user", "content": PROMPT}],
        "max_tokens": 64,
        "stream": True,
    }
    headers = {"Authorization": f"Bearer {target.token}"}
    firsts: list[float] = []
    totals: list[float] = []
    failures = 0
    with httpx.Client(timeout=30) as client:
        for _ in range(count):
            target.sent += 1
            started = time.perf_counter()
            first: float | None = None
            try:
                with client.stream("POST", target.chat_url, json=body, headers=headers) as response:
                    if response.status_code != 200:
                        failures += 1
                        response.read()
                        continue
                    for line in response.iter_lines():
                        if first is None and line.startswith("data: {"):
                            choices = json.loads(line[6:]).get("choices") or [{}]
                            if (choices[0].get("delta") or {}).get("content"):
                                first = time.perf_counter() - started
            except httpx.HTTPError:
                failures += 1
                continue
            target.received += 1
            if first is None:
                failures += 1
                continue
            firsts.append(first * 1000.0)
            totals.append((time.perf_counter() - started) * 1000.0)
    return {
        "count": count,
        "failures": failures,
        "ttft_p50_ms": percentile(firsts, 50),
        "ttft_p95_ms": percentile(firsts, 95),
        "ttft_p99_ms": percentile(firsts, 99),
        "total_p50_ms": percentile(totals, 50),
    }


def percentile(values: list[float], q: float) -> float:
    if not values:
        return math.nan
    ordered = sorted(values)
    rank = min(len(ordered) - 1, max(0, math.ceil(q / 100 * len(ordered)) - 1))
    return ordered[rank]


# --------------------------------------------------------------------------- audit


def audit_rows(database: Path) -> tuple[int, dict[str, int]]:
    """Chat-completion rows in ``audit_events`` and their count per HTTP status (read-only).

    The admin commands that made the key leave events too; they are not requests.
    """
    with contextlib.closing(sqlite3.connect(f"file:{database}?mode=ro", uri=True, timeout=30)) as db:
        rows = db.execute(
            "SELECT json_extract(details, '$.status'), count(*) FROM audit_events"
            " WHERE action = 'POST /v1/chat/completions' GROUP BY 1"
        ).fetchall()
    by_status = {str(status): int(n) for status, n in rows}
    return sum(by_status.values()), by_status


def settled_audit_rows(database: Path, timeout_s: float = 30.0) -> tuple[int, dict[str, int]]:
    """The row count once it stops changing (requests cut at wrk's stop may still be finishing)."""
    deadline = time.monotonic() + timeout_s
    last = audit_rows(database)
    while time.monotonic() < deadline:
        time.sleep(1.0)
        now = audit_rows(database)
        if now[0] == last[0]:
            return now
        last = now
    return last


# --------------------------------------------------------------------------- profile


#: (category, substring of a py-spy frame), most specific first: a sample counts for the
#: first category any frame of its stack matches.
PROFILE_CATEGORIES = [
    ("audit write (Store.append_audit: SQLite transaction, hash chain)", "Store.append_audit"),
    ("API-key lookup (Store.authenticate)", "Store.authenticate"),
    ("guard input rail (GuardPipeline.check)", "GuardPipeline.check ("),
    ("guard output rail (GuardPipeline.check_text)", "GuardPipeline.check_text"),
    ("upstream call (OpenAIBackend → aiohttp)", "OpenAIBackend."),
    ("JSON access log (logging)", "Logger."),
    ("metrics (prometheus_client)", "prometheus_client"),
    ("body read + pydantic validation (parse_body)", "parse_body"),
    ("response JSON (JSONResponse)", "JSONResponse"),
    ("thread-pool hand-offs (anyio to_thread, 4 per request)", "run_sync_in_worker_thread"),
    ("thread-pool hand-offs (anyio to_thread, 4 per request)", "WorkerThread.run"),
    ("route handler, rest (_serve, _prepare, CallRecord)", "jmedllm/serve/"),
    ("FastAPI dependency solving", "solve_dependencies"),
    ("Starlette/FastAPI routing and middleware", "starlette/"),
    ("Starlette/FastAPI routing and middleware", "fastapi/"),
    ("HTTP server (uvicorn, httptools)", "uvicorn/"),
]


def profile_gateway(
    pyspy: str, target: Target, wrk: Wrk, seconds: float, connections: int, workdir: Path
) -> dict:
    raw = workdir / "pyspy.txt"
    rate = 250
    spy = subprocess.Popen(
        [
            pyspy,
            "record",
            "-p",
            str(target.server.pid),
            "-d",
            str(round(seconds)),
            "-r",
            str(rate),
            "-f",
            "raw",
            "-o",
            str(raw),
            "--gil",
            "--nonblocking",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    time.sleep(1.0)  # py-spy attaches
    result = wrk.run(target, connections=connections, duration_s=max(1.0, seconds - 2))
    spy.wait(timeout=seconds + 60)
    if not raw.exists():
        return {"error": (spy.stderr.read() if spy.stderr else b"").decode(errors="replace")[-500:]}
    categories: Counter[str] = Counter()
    leaves: Counter[str] = Counter()
    total = 0
    for line in raw.read_text(errors="replace").splitlines():
        stack, _, count = line.rpartition(" ")
        if not count.isdigit():
            continue
        n = int(count)
        total += n
        frames = stack.split(";")
        leaves[_short_frame(frames[-1])] += n
        category = next(
            (name for name, needle in PROFILE_CATEGORIES if any(needle in f for f in frames)),
            "other (asyncio event loop, runtime)",
        )
        categories[category] += n
    # Each sample stands for 1/rate s holding the GIL; the run lasted about as long as wrk's.
    per_request_ms = 1000.0 / rate / max(1, result.requests) * (seconds / max(1.0, result.duration_s))
    return {
        "samples": total,
        "requests": result.requests,
        "rps_under_profiler": result.rps,
        "gil_busy": total / (rate * seconds),
        "gil_ms_per_request": total * per_request_ms,
        "categories": {
            k: {"share": v / total, "ms_per_request": v * per_request_ms} for k, v in categories.most_common()
        },
        "leaves": {k: v / total for k, v in leaves.most_common(12)},
    }


def _short_frame(frame: str) -> str:
    # "name (path/to/module.py:123)" -> "name (module.py:123)"
    name, _, where = frame.partition(" (")
    return f"{name} ({where.rsplit('/', 1)[-1]}" if where else name


# --------------------------------------------------------------------------- report


def added(result: WrkResult, base: WrkResult, key: str) -> float:
    return result.latency_ms[key] - base.latency_ms[key]


def fmt(value: float, digits: int = 1) -> str:
    return (
        "—" if value is None or (isinstance(value, float) and math.isnan(value)) else f"{value:,.{digits}f}"
    )


def trend(series: list[tuple[int, float]]) -> dict[str, float]:
    """Least-squares slope of RSS over requests, after the first (warm-up) sample."""
    points = series[1:] if len(series) > 2 else series
    xs = [x for x, _ in points]
    ys = [y for _, y in points]
    if len(points) < 2:
        return {"slope_mib_per_100k": math.nan, "growth_mib": math.nan}
    slope = statistics.linear_regression(xs, ys).slope
    return {"slope_mib_per_100k": slope * 100_000, "growth_mib": ys[-1] - ys[0]}


def print_report(console: Console, report: dict[str, Any]) -> None:
    conf = report["config"]
    keys = [t["key"] for t in report["targets"]]
    labels = {t["key"]: t["label"] for t in report["targets"]}
    paced, saturated = report["paced"], report["saturated"]

    table = Table(
        title=f"Paced: {conf['concurrency']} connections, {conf['rate']:g} req/s offered "
        f"(Poisson), {conf['duration_s']:g} s each — latency in ms"
    )
    for col in (
        "target",
        "req/s",
        "p50",
        "p95",
        "p99",
        "max",
        "errors",
        "idle closes",
        "added p50",
        "added p99",
    ):
        table.add_column(col, justify="left" if col == "target" else "right")
    for key in keys:
        r = paced[key]
        lat = r["latency_ms"]
        table.add_row(
            labels[key],
            fmt(r["rps"], 0),
            fmt(lat["p50"], 2),
            fmt(lat["p95"], 2),
            fmt(lat["p99"], 2),
            fmt(lat["max"], 1),
            str(r["errors"]),
            str(r["idle_closes"]),
            "" if key == "direct" else fmt(r["added_p50_ms"], 2),
            "" if key == "direct" else fmt(r["added_p99_ms"], 2),
        )
    console.print(table)

    table = Table(
        title=f"Saturated: {conf['concurrency']} connections, no pauses, {conf['duration_s']:g} s each"
    )
    columns = (
        "target",
        "req/s",
        "p50 ms",
        "p99 ms",
        "errors",
        "added p50",
        "added p99",
        "CPU ms/req",
        "stub CPU",
    )
    for col in columns:
        table.add_column(col, justify="left" if col == "target" else "right")
    for key in keys:
        r = saturated[key]
        lat = r["latency_ms"]
        cpu = r["cpu_ms_per_request"]
        table.add_row(
            labels[key],
            fmt(r["rps"], 0),
            fmt(lat["p50"], 1),
            fmt(lat["p99"], 1),
            str(r["errors"]),
            "" if key == "direct" else fmt(r["added_p50_ms"], 1),
            "" if key == "direct" else fmt(r["added_p99_ms"], 1),
            fmt(cpu.get(key, cpu["stub"]), 2),
            fmt(cpu["stub"], 2),
        )
    console.print(table)

    if report.get("ratio"):
        ratio = report["ratio"]
        console.print(
            "jmedllm (guard default) overhead / LiteLLM overhead: "
            f"paced p50 {fmt(ratio['paced_p50'], 2)}, paced p99 {fmt(ratio['paced_p99'], 2)}, "
            f"saturated p50 {fmt(ratio['saturated_p50'], 2)}, "
            f"CPU per request {fmt(ratio['cpu_per_request'], 2)}"
        )

    table = Table(title="Max throughput of one jmedllm process (guard default), saturated")
    for col in ("connections", "req/s", "p50 ms", "p99 ms", "errors"):
        table.add_column(col, justify="right")
    for r in report["max_throughput"]:
        table.add_row(
            str(r["connections"]),
            fmt(r["rps"], 0),
            fmt(r["latency_ms"]["p50"], 1),
            fmt(r["latency_ms"]["p99"], 1),
            str(r["errors"]),
        )
    console.print(table)

    table = Table(title=f"Streaming: {conf['streams']} sequential streamed requests, ms")
    for col in (
        "target",
        "TTFT p50",
        "TTFT p95",
        "TTFT p99",
        "added TTFT p50",
        "whole stream p50",
        "failures",
    ):
        table.add_column(col, justify="left" if col == "target" else "right")
    for key in keys:
        s = report["streaming"][key]
        table.add_row(
            labels[key],
            fmt(s["ttft_p50_ms"], 2),
            fmt(s["ttft_p95_ms"], 2),
            fmt(s["ttft_p99_ms"], 2),
            "" if key == "direct" else fmt(s["added_ttft_p50_ms"], 2),
            fmt(s["total_p50_ms"], 2),
            str(s["failures"]),
        )
    console.print(table)

    soak = report["soak"]
    table = Table(title=f"Memory soak: jmedllm (guard default), {soak['requests']:,} requests")
    for col in ("requests", "RSS MiB", "req/s", "errors"):
        table.add_column(col, justify="right")
    for point in soak["series"]:
        table.add_row(
            f"{point['requests']:,}", fmt(point["rss_mib"], 1), fmt(point["rps"], 0), str(point["errors"])
        )
    console.print(table)
    console.print(
        f"RSS slope after warm-up: {fmt(soak['trend']['slope_mib_per_100k'], 2)} MiB per 100k requests; "
        f"growth {fmt(soak['trend']['growth_mib'], 1)} MiB → {soak['verdict']}"
    )

    table = Table(title="Audit: one event per request")
    for col in ("gateway", "requests sent", "responses", "audit events", "by status", "verdict"):
        table.add_column(col)
    for key, a in report["audit"].items():
        table.add_row(
            labels[key],
            f"{a['sent']:,}",
            f"{a['received']:,}",
            f"{a['events']:,}",
            json.dumps(a["by_status"]),
            a["verdict"],
        )
    console.print(table)

    if report.get("profile"):
        p = report["profile"]
        if "error" in p:
            console.print(f"[yellow]py-spy failed: {p['error']}")
        else:
            table = Table(
                title=f"Where jmedllm's GIL time goes (py-spy --gil, {p['samples']:,} samples, "
                f"{fmt(p['rps_under_profiler'], 0)} req/s under the profiler, GIL busy {p['gil_busy']:.0%}, "
                f"{p['gil_ms_per_request']:.2f} ms per request)"
            )
            table.add_column("category")
            table.add_column("share", justify="right")
            table.add_column("ms/request", justify="right")
            for name, c in p["categories"].items():
                table.add_row(name, f"{c['share']:.1%}", f"{c['ms_per_request']:.2f}")
            console.print(table)
            table = Table(title="Hottest leaf frames")
            table.add_column("frame")
            table.add_column("share", justify="right")
            for name, share in p["leaves"].items():
                table.add_row(name, f"{share:.1%}")
            console.print(table)

    table = Table(title="Targets (issue 8)")
    for col in ("target", "measured", "met"):
        table.add_column(col)
    for row in report["targets_check"]:
        met = {True: "[green]yes", False: "[red]no", None: "n/a"}[row["met"]]
        table.add_row(row["target"], row["measured"], met)
    console.print(table)


# --------------------------------------------------------------------------- main


def _interrupt(*_: object) -> None:
    raise KeyboardInterrupt


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--requests",
        type=int,
        default=30_000,
        help="requests in the memory soak (the issue's figure: 100000)",
    )
    parser.add_argument(
        "--concurrency", type=int, default=100, help="connections in the paced and saturated phases"
    )
    parser.add_argument("--duration", type=float, default=15.0, help="seconds per paced or saturated run")
    parser.add_argument(
        "--rate",
        type=float,
        default=0.0,
        help="offered req/s in the paced phase (default: half the slowest target's)",
    )
    parser.add_argument("--streams", type=int, default=200, help="sequential streamed requests per target")
    parser.add_argument(
        "--max-connections", default="100,200,400", help="connection counts for max throughput"
    )
    parser.add_argument("--json", action="store_true", help="print the report as JSON instead of tables")
    parser.add_argument("--save", type=Path, help="also write the JSON report to this file")
    parser.add_argument("--skip-litellm", action="store_true", help="leave LiteLLM out")
    parser.add_argument("--litellm", help="path of the litellm executable (default: .venv/litellm/bin, PATH)")
    parser.add_argument(
        "--quick", action="store_true", help="a ~1 minute smoke: 3 s runs, a 2,000-request soak"
    )
    parser.add_argument(
        "--profile", type=float, default=0.0, metavar="S", help="py-spy the gateway for S seconds"
    )
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder (logs, databases)")
    args = parser.parse_args(argv)
    if args.quick:
        args.duration, args.requests, args.streams = 3.0, 2_000, 30
        args.max_connections = "100,400"
    # Wide tables also when the output goes to a file or a CI log.
    console = Console(stderr=args.json, width=None if sys.stdout.isatty() else 150)

    wrk_binary = shutil.which("wrk")
    if wrk_binary is None:
        console.print("[red]wrk is not installed (Debian: apt-get install -y wrk); it is the load generator.")
        return 2
    litellm = None if args.skip_litellm else find_litellm(args.litellm)
    if not args.skip_litellm and litellm is None:
        console.print("[yellow]LiteLLM not found (.venv/litellm/bin/litellm or PATH): skipping it.")
    pyspy = shutil.which("py-spy") or shutil.which(str(Path(sys.executable).with_name("py-spy")))
    if args.profile and pyspy is None:
        console.print("[yellow]py-spy not found (pip install py-spy): no profile.")

    # SIGTERM (timeout, CI) unwinds like Ctrl-C, so the servers below are stopped.
    signal.signal(signal.SIGTERM, _interrupt)
    workdir = Path(tempfile.mkdtemp(prefix="jmedllm-bench-"))
    env = clean_env()
    python = sys.executable
    servers: list[Server] = []
    try:
        stub_port = free_port()
        stub = start("stub", [python, "-c", STUB_LAUNCHER, HOST, str(stub_port)], stub_port, workdir, env)
        servers.append(stub)
        targets = [Target("direct", "stub, direct", stub, "unused")]
        gateway = make_jmedllm("jmedllm", "default", stub.url, workdir, env, python)
        servers.append(gateway.server)
        noguard = make_jmedllm("jmedllm-noguard", "off", stub.url, workdir, env, python)
        servers.append(noguard.server)
        targets += [gateway, noguard]
        if litellm:
            target = make_litellm(litellm, stub.url, workdir, env)
            servers.append(target.server)
            targets.append(target)
        stub.wait_ready("/health")
        for t in targets[1:]:
            path = "/readyz" if t.key.startswith("jmedllm") else "/health/liveliness"
            t.server.wait_ready(path)
        wrk = Wrk(wrk_binary, workdir)
        console.print(f"[dim]work folder {workdir}; warming up {len(targets)} targets…")
        for t in targets:
            wrk.run(t, connections=args.concurrency, duration_s=2)
            stream_ttft(t, 5)

        def watched(t: Target) -> dict[str, int]:
            pids = {"stub": stub.pid}
            if t.key != "direct":
                pids[t.key] = t.server.pid
            return pids

        saturated: dict[str, dict] = {}
        for t in targets:
            console.print(f"[dim]saturated: {t.label}")
            result = wrk.run(t, connections=args.concurrency, duration_s=args.duration, watch=watched(t))
            saturated[t.key] = asdict(result)
        # One offered rate for every target, below the slowest one's capacity: half of it
        # unless --rate says otherwise, so the paced phase measures overhead, not queueing.
        rate = args.rate or round(0.5 * min(r["rps"] for r in saturated.values()))
        args.rate = max(1.0, float(rate))
        paced: dict[str, dict] = {}
        for t in targets:
            console.print(f"[dim]paced at {args.rate:g} req/s: {t.label}")
            paced[t.key] = asdict(
                wrk.run(t, connections=args.concurrency, duration_s=args.duration, rate=args.rate)
            )
        for phase in (paced, saturated):
            base = phase["direct"]["latency_ms"]
            for r in phase.values():
                r["errors"] = r["non2xx"] + sum(r["socket_errors"].values())
                if phase is paced:
                    # A pause longer than the server's keep-alive (uvicorn: 5 s) ends with the
                    # server closing the idle connection, which wrk counts as a read error and
                    # reconnects; no request is lost (sent == answered). Counted apart.
                    r["idle_closes"] = r["socket_errors"]["read"]
                    r["errors"] += max(0, r["sent"] - r["requests"]) - r["idle_closes"]
                r["added_p50_ms"] = r["latency_ms"]["p50"] - base["p50"]
                r["added_p99_ms"] = r["latency_ms"]["p99"] - base["p99"]

        max_throughput = []
        for connections in [int(c) for c in args.max_connections.split(",")]:
            console.print(f"[dim]max throughput: jmedllm at {connections} connections")
            r = asdict(wrk.run(gateway, connections=connections, duration_s=args.duration))
            r["errors"] = r["non2xx"] + sum(r["socket_errors"].values())
            max_throughput.append(r)

        streaming: dict[str, dict] = {}
        for t in targets:
            console.print(f"[dim]streaming TTFT: {t.label}")
            streaming[t.key] = stream_ttft(t, args.streams)
        for s in streaming.values():
            s["added_ttft_p50_ms"] = s["ttft_p50_ms"] - streaming["direct"]["ttft_p50_ms"]

        # wrk runs for a duration, so each tenth of the soak lasts as long as a tenth of the
        # requests took in the saturated phase; the series records what each chunk really did.
        chunk = max(1, args.requests // 10)
        chunk_s = max(1.0, chunk / max(1.0, saturated["jmedllm"]["rps"]))
        series = [{"requests": 0, "rss_mib": rss_mib(gateway.server.pid), "rps": math.nan, "errors": 0}]
        done_requests = 0
        console.print(f"[dim]memory soak: {args.requests:,} requests through jmedllm, RSS every ~{chunk:,}")
        while done_requests < args.requests:
            r = wrk.run(gateway, connections=args.concurrency, duration_s=chunk_s)
            done_requests += r.requests
            series.append(
                {
                    "requests": done_requests,
                    "rss_mib": rss_mib(gateway.server.pid),
                    "rps": r.rps,
                    "errors": r.errors,
                }
            )
        soak_trend = trend([(p["requests"], p["rss_mib"]) for p in series])
        growing = soak_trend["slope_mib_per_100k"] > 5.0 and soak_trend["growth_mib"] > 5.0
        judged = done_requests >= 50_000  # a short soak is mostly warm-up
        soak = {
            "requests": done_requests,
            "series": series,
            "trend": soak_trend,
            "verdict": ("grows" if growing else "no growth trend") if judged else "too short to judge",
            "errors": sum(p["errors"] for p in series),
        }

        profile = None
        if args.profile and pyspy:
            console.print(f"[dim]profiling jmedllm with py-spy for {args.profile:g} s")
            profile = profile_gateway(pyspy, gateway, wrk, args.profile, args.concurrency, workdir)

        audit: dict[str, dict] = {}
        for t in (gateway, noguard):
            assert t.database is not None
            events, by_status = settled_audit_rows(t.database)
            exact = events == t.sent
            within = t.received <= events <= t.sent
            verdict = "exact" if exact else ("ok (cut at wrk's stop)" if within else "MISMATCH")
            audit[t.key] = {
                "sent": t.sent,
                "received": t.received,
                "events": events,
                "by_status": by_status,
                "verdict": verdict,
            }

        ratio = None
        if "litellm" in paced:

            def share(phase: dict, key: str) -> float:
                theirs = phase["litellm"][key]
                return phase["jmedllm"][key] / theirs if theirs > 0 else math.inf

            cpu_ours = saturated["jmedllm"]["cpu_ms_per_request"]["jmedllm"]
            cpu_theirs = saturated["litellm"]["cpu_ms_per_request"]["litellm"]
            ratio = {
                "paced_p50": share(paced, "added_p50_ms"),
                "paced_p99": share(paced, "added_p99_ms"),
                "saturated_p50": share(saturated, "added_p50_ms"),
                "cpu_per_request": cpu_ours / cpu_theirs if cpu_theirs else math.nan,
            }

        best = max([*max_throughput, saturated["jmedllm"]], key=lambda r: r["rps"])
        ours_p, ours_s = paced["jmedllm"], saturated["jmedllm"]
        checks = [
            {
                "target": f"added p50 ≤ 5 ms at {args.concurrency} clients (paced)",
                "measured": f"{ours_p['added_p50_ms']:.2f} ms",
                "met": ours_p["added_p50_ms"] <= 5,
            },
            {
                "target": f"added p99 ≤ 20 ms at {args.concurrency} clients (paced)",
                "measured": f"{ours_p['added_p99_ms']:.2f} ms",
                "met": ours_p["added_p99_ms"] <= 20,
            },
            {
                "target": f"added p50 ≤ 5 ms at {args.concurrency} clients (saturated)",
                "measured": f"{ours_s['added_p50_ms']:.1f} ms",
                "met": ours_s["added_p50_ms"] <= 5,
            },
            {
                "target": f"added p99 ≤ 20 ms at {args.concurrency} clients (saturated)",
                "measured": f"{ours_s['added_p99_ms']:.1f} ms",
                "met": ours_s["added_p99_ms"] <= 20,
            },
            {
                "target": "≥ 500 req/s through one process, zero errors",
                "measured": f"{best['rps']:.0f} req/s at {best['connections']} conns, {best['errors']} errors",
                "met": best["rps"] >= 500 and best["errors"] == 0,
            },
            {
                "target": "exactly one audit event per request",
                "measured": f"{audit['jmedllm']['events']:,} events / {audit['jmedllm']['sent']:,} sent",
                "met": audit["jmedllm"]["verdict"] != "MISMATCH",
            },
            {
                "target": "no memory growth over the soak",
                "measured": f"{soak_trend['growth_mib']:.1f} MiB over {done_requests:,} requests",
                "met": (not growing) if judged else None,
            },
        ]
        if ratio:
            checks.insert(
                4,
                {
                    "target": "overhead ≤ ½ LiteLLM's (paced p50)",
                    "measured": f"{ratio['paced_p50']:.2f}×",
                    "met": ratio["paced_p50"] <= 0.5,
                },
            )

        report = {
            "date": datetime.now(UTC).isoformat(timespec="seconds"),
            "machine": {"cpus": os.cpu_count(), "python": sys.version.split()[0]},
            "tools": {"wrk": wrk_binary, "litellm": litellm_version(litellm) if litellm else None},
            "config": {
                "concurrency": args.concurrency,
                "duration_s": args.duration,
                "rate": args.rate,
                "streams": args.streams,
                "soak_requests": args.requests,
                "prompt_chars": len(PROMPT),
            },
            "targets": [{"key": t.key, "label": t.label} for t in targets],
            "paced": paced,
            "saturated": saturated,
            "ratio": ratio,
            "max_throughput": max_throughput,
            "streaming": streaming,
            "soak": soak,
            "audit": audit,
            "profile": profile,
            "targets_check": checks,
        }
        text = json.dumps(report, indent=2, ensure_ascii=False, default=str)
        if args.save:
            args.save.write_text(text + "\n", encoding="utf-8")
        if args.json:
            print(text)
        else:
            print_report(console, report)
        return 0
    finally:
        for server in reversed(servers):
            server.stop()
        if args.keep:
            console.print(f"[dim]kept {workdir}")
        else:
            shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
