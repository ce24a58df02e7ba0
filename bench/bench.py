#!/usr/bin/env python3
"""Side-by-side S3 benchmark: our objstore server against moto's server, in one run.

Run it with the project's venv (it needs boto3):

    .venv/bin/python bench/bench.py --quick          # about a minute or two
    .venv/bin/python bench/bench.py                  # full run, within about ten minutes
    .venv/bin/python bench/bench.py --only moto --quick

It starts each server on 127.0.0.1 (moto from its own venv at bench/.venv-moto, created on
first use), runs the same workloads against each with boto3, samples each server's RSS every
50 ms, prints an ours | moto | ratio | stub table with a verdict line, writes the figures to
bench/results/<timestamp>.json and stops every server it started. See bench/README.md.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import http.client
import ipaddress
import json
import math
import os
import platform
import queue
import resource
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import FIRST_EXCEPTION, ThreadPoolExecutor, wait
from dataclasses import asdict, dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import boto3
import botocore
from botocore.config import Config

S3Client = Any  # boto3's client type; no stubs are installed

REPO_ROOT = Path(__file__).resolve().parent.parent
BENCH_DIR = REPO_ROOT / "bench"
MOTO_VENV = BENCH_DIR / ".venv-moto"
RESULTS_DIR = BENCH_DIR / "results"
DEFAULT_OURS_BIN = ".venv/bin/objstore"

KIB = 1024
MIB = 1024 * KIB
GIB = 1024 * MIB
MB = 1_000_000  # throughput is reported in decimal MB/s
PATTERN_BLOCK = MIB  # big bodies repeat one random block of this size
FILE_BODY_MIN = 8 * MIB  # bodies at least this big are streamed from a file on disk
READ_CHUNK = MIB

STOP = threading.Event()  # set on Ctrl-C / SIGTERM so worker threads stop issuing requests


# --------------------------------------------------------------------------------------------
# Options
# --------------------------------------------------------------------------------------------

# Presets: flags left unset take their value from the chosen preset.
PRESETS: dict[str, dict[str, int]] = {
    "full": {
        "small_count": 2000,
        "mixed_count": 2000,
        "medium_count": 64,
        "large_count": 4,
        "huge_count": 1,
        "huge_mib": 1024,
        "budget_s": 180,
    },
    "quick": {
        "small_count": 1000,
        "mixed_count": 1000,
        "medium_count": 16,
        "large_count": 2,
        "huge_count": 1,
        "huge_mib": 256,
        "budget_s": 40,
    },
}


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(
        description="Benchmark our S3 server side by side with moto's server.",
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    p.add_argument("--quick", action="store_true", help="small counts; under ~2 min in total")
    p.add_argument("--only", choices=["ours", "moto"], help="bench one server only")
    p.add_argument(
        "--endpoint",
        help="bench an already-running server at this URL instead of starting one "
        "(it stands for 'ours', or for moto with --only moto); must be a loopback address",
    )
    p.add_argument("--pid", type=int, help="with --endpoint: the server's pid, to sample RSS")
    p.add_argument("--ours-bin", default=DEFAULT_OURS_BIN, help="objstore binary (repo-relative)")
    p.add_argument("--access-key", default="benchaccesskey")
    p.add_argument("--secret-key", default="benchsecretkey0123456789")
    p.add_argument("--small-size", type=int, default=4 * KIB, help="small object size, bytes")
    p.add_argument("--small-count", type=int, help="4 KiB PUTs and GETs (full 2000)")
    p.add_argument("--mixed-count", type=int, help="ops in the mixed PUT/GET/HEAD/DELETE run")
    p.add_argument("--concurrency", type=int, default=16, help="threads for small objects")
    p.add_argument("--medium-count", type=int, help="1 MiB PUTs and GETs (full 64)")
    p.add_argument("--medium-concurrency", type=int, default=4)
    p.add_argument("--large-count", type=int, help="64 MiB PUTs and GETs (full 4)")
    p.add_argument("--large-concurrency", type=int, default=1)
    p.add_argument("--huge-count", type=int, help="huge PUTs and GETs (full 1)")
    p.add_argument("--huge-mib", type=int, help="huge object size in MiB (full 1024, quick 256)")
    p.add_argument("--no-huge", action="store_true", help="skip the huge (1 GiB) workloads")
    p.add_argument("--sse", choices=["AES256", "aws:kms", "aws:kms:dsse", "SSE-C"],
                   help="server-side encryption for every PUT (and its key for every read)")
    p.add_argument("--sse-matrix", action="store_true",
                   help="instead: PUT/GET MB/s of every encryption mode beside our plaintext "
                   "path and moto (bench/sse_bench.py; its own flags follow)")
    p.add_argument("--budget-s", type=int, help="time budget per server, seconds (full 180)")
    p.add_argument(
        "--no-ceiling",
        action="store_true",
        help="skip the null-server run that measures the client's own ceiling",
    )
    p.add_argument("--serve-stub", action="store_true", help=argparse.SUPPRESS)
    p.add_argument("--op-timeout-s", type=int, default=300, help="socket read timeout per request")
    p.add_argument(
        "--flat-slack-mib",
        type=float,
        default=64.0,
        help="flat memory: our peak RSS at huge may exceed that at 64 MiB by at most this",
    )
    p.add_argument("--out", type=Path, help="JSON output path (default bench/results/<ts>.json)")
    p.add_argument("--keep-temp", action="store_true", help="keep the temp dir (logs, data)")
    args = p.parse_args(argv)
    preset = PRESETS["quick" if args.quick else "full"]
    for key, value in preset.items():
        if getattr(args, key) is None:
            setattr(args, key, value)
    if args.pid is not None and args.endpoint is None:
        p.error("--pid only goes with --endpoint")
    if args.endpoint:
        try:
            check_loopback(args.endpoint)
        except RuntimeError as exc:
            p.error(str(exc))
    return args


# --------------------------------------------------------------------------------------------
# Workload plan
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Workload:
    key: str  # JSON key, e.g. "put_4KiB"
    label: str  # table label
    kind: str  # "put" | "get" | "mixed"
    size: int
    count: int
    concurrency: int
    prefix: str
    cleanup: bool = False  # delete the objects afterwards (keeps RSS per size class honest)


def fmt_size(n: int) -> str:
    for unit, factor in (("GiB", GIB), ("MiB", MIB), ("KiB", KIB)):
        if n >= factor and n % factor == 0:
            return f"{n // factor}{unit}"
    return f"{n}B"


def size_class(name: str, size: int, count: int, conc: int) -> list[Workload]:
    s = fmt_size(size)
    prefix = f"{name}/"
    return [
        Workload(f"put_{s}", f"PUT {s} x{count} c{conc}", "put", size, count, conc, prefix),
        Workload(
            f"get_{s}",
            f"GET {s} x{count} c{conc}",
            "get",
            size,
            count,
            conc,
            prefix,
            cleanup=name != "small",
        ),
    ]


def build_plan(args: argparse.Namespace) -> list[Workload]:
    plan = size_class("small", args.small_size, args.small_count, args.concurrency)
    mixed_label = f"MIXED {fmt_size(args.small_size)} x{args.mixed_count} c{args.concurrency}"
    plan.append(
        Workload(
            "mixed_small",
            mixed_label,
            "mixed",
            args.small_size,
            args.mixed_count,
            args.concurrency,
            "mixed/",
        )
    )
    plan += size_class("medium", MIB, args.medium_count, args.medium_concurrency)
    plan += size_class("large", 64 * MIB, args.large_count, args.large_concurrency)
    if not args.no_huge:
        plan += size_class("huge", args.huge_mib * MIB, args.huge_count, 1)
    return [w for w in plan if w.count > 0]


# --------------------------------------------------------------------------------------------
# Request bodies
# --------------------------------------------------------------------------------------------


class Bodies:
    """Request bodies: bytes for small sizes, a file of a repeating random block for big ones,
    so the client never holds a big object in memory."""

    def __init__(self, workdir: Path) -> None:
        self._dir = workdir
        self._block = os.urandom(PATTERN_BLOCK)
        self._bodies: dict[int, bytes | Path] = {}

    def for_size(self, size: int) -> bytes | Path:
        if size not in self._bodies:
            if size < FILE_BODY_MIN:
                self._bodies[size] = self._repeat(size)
            else:
                self._bodies[size] = self._write_file(size)
        return self._bodies[size]

    def _repeat(self, size: int) -> bytes:
        reps = -(-size // PATTERN_BLOCK)
        return (self._block * reps)[:size]

    def _write_file(self, size: int) -> Path:
        path = self._dir / f"body-{size}.bin"
        with path.open("wb") as f:
            left = size
            while left > 0:
                f.write(self._block[: min(left, PATTERN_BLOCK)])
                left -= PATTERN_BLOCK
        return path


# --------------------------------------------------------------------------------------------
# Process sampling: RSS and CPU time of the server process tree
# --------------------------------------------------------------------------------------------


def process_tree(pid: int) -> list[int]:
    """pid and all its descendants, from /proc/<pid>/task/*/children."""
    seen: list[int] = []
    stack = [pid]
    while stack:
        p = stack.pop()
        if p in seen:
            continue
        seen.append(p)
        with contextlib.suppress(OSError):
            for task in os.listdir(f"/proc/{p}/task"):
                with contextlib.suppress(OSError), open(f"/proc/{p}/task/{task}/children") as f:
                    stack.extend(int(c) for c in f.read().split())
    return seen


def vm_rss_kib(pid: int) -> int:
    with contextlib.suppress(OSError), open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def tree_rss_mib(pid: int) -> float:
    return sum(vm_rss_kib(p) for p in process_tree(pid)) / 1024


CLK_TCK = os.sysconf("SC_CLK_TCK")


def proc_cpu_ticks(pid: int, with_reaped: bool) -> int:
    """utime+stime of pid (plus its reaped children's, if asked) from /proc/<pid>/stat."""
    with contextlib.suppress(OSError, ValueError, IndexError), open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
        # fields[0] is the state (field 3); utime..cstime are fields 14..17
        ticks = int(fields[11]) + int(fields[12])
        return ticks + (int(fields[13]) + int(fields[14]) if with_reaped else 0)
    return 0


def tree_cpu_seconds(pid: int) -> float:
    return sum(proc_cpu_ticks(p, p == pid) for p in process_tree(pid)) / CLK_TCK


class RssSampler:
    """Samples the RSS of a process tree every `interval` seconds in a daemon thread; keeps an
    overall peak and a resettable per-workload peak."""

    def __init__(self, pid: int, interval: float = 0.05) -> None:
        self.pid = pid
        self.interval = interval
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self.overall_peak = 0.0
        self._window_peak = 0.0
        self._thread = threading.Thread(target=self._run, name=f"rss-{pid}", daemon=True)

    def start(self) -> None:
        self.sample()
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=2)

    def sample(self) -> float:
        rss = tree_rss_mib(self.pid)
        with self._lock:
            self.overall_peak = max(self.overall_peak, rss)
            self._window_peak = max(self._window_peak, rss)
        return rss

    def reset_window(self) -> float:
        rss = tree_rss_mib(self.pid)
        with self._lock:
            self._window_peak = rss
            self.overall_peak = max(self.overall_peak, rss)
        return rss

    def window_peak(self) -> float:
        self.sample()
        with self._lock:
            return self._window_peak

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            self.sample()


# --------------------------------------------------------------------------------------------
# Servers
# --------------------------------------------------------------------------------------------


@dataclass
class Server:
    name: str
    endpoint: str
    pid: int | None = None
    proc: subprocess.Popen[bytes] | None = None
    log_path: Path | None = None


def check_loopback(url: str) -> str:
    host = urlparse(url).hostname or ""
    ok = host == "localhost"
    with contextlib.suppress(ValueError):
        ok = ok or ipaddress.ip_address(host).is_loopback
    if not ok:
        raise RuntimeError(f"refusing non-loopback endpoint {url!r}: traffic stays on 127.0.0.1")
    return url.rstrip("/")


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_http_ready(endpoint: str, proc: subprocess.Popen[bytes] | None, timeout: float) -> None:
    """Wait until anything answers HTTP at the endpoint (any status counts)."""
    url = urlparse(endpoint)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and not STOP.is_set():
        if proc is not None and proc.poll() is not None:
            raise RuntimeError(f"server exited with code {proc.returncode} during startup")
        conn = http.client.HTTPConnection(url.hostname or "127.0.0.1", url.port or 80, timeout=2)
        try:
            conn.request("GET", "/")
            conn.getresponse().read()
            return
        except OSError:
            time.sleep(0.1)
        finally:
            conn.close()
    raise RuntimeError(f"no HTTP answer from {endpoint} within {timeout:.0f}s")


def ensure_moto_venv() -> Path:
    binary = MOTO_VENV / "bin" / "moto_server"
    if binary.exists():
        return binary
    print(f"[setup] creating {MOTO_VENV} and installing moto[server] ...", flush=True)
    python3 = shutil.which("python3") or sys.executable
    subprocess.run([python3, "-m", "venv", str(MOTO_VENV)], check=True)
    pip = [str(MOTO_VENV / "bin" / "python"), "-m", "pip", "install", "--quiet"]
    subprocess.run([*pip, "moto[server]"], check=True)
    if not binary.exists():
        raise RuntimeError(f"moto installed but {binary} is missing")
    return binary


def spawn(cmd: list[str], log_path: Path, stdout: int) -> subprocess.Popen[bytes]:
    with log_path.open("ab") as log:
        return subprocess.Popen(
            cmd,
            stdin=subprocess.DEVNULL,
            stdout=stdout if stdout == subprocess.PIPE else log,
            stderr=log,
            start_new_session=True,  # own process group: stopping it takes its children too
            cwd=str(log_path.parent),
        )


def start_moto(workdir: Path) -> Server:
    binary = ensure_moto_venv()
    port = free_port()
    log_path = workdir / "moto.log"
    proc = spawn([str(binary), "-H", "127.0.0.1", "-p", str(port)], log_path, subprocess.DEVNULL)
    server = Server("moto", f"http://127.0.0.1:{port}", proc.pid, proc, log_path)
    try:
        wait_http_ready(server.endpoint, proc, timeout=60)
    except BaseException:
        stop_server(server)
        raise
    return server


def start_announcing(name: str, cmd: list[str], workdir: Path) -> Server:
    """Start a server that prints its endpoint URL as the first line of stdout."""
    log_path = workdir / f"{name}.log"
    proc = spawn(cmd, log_path, subprocess.PIPE)
    server = Server(name, "", proc.pid, proc, log_path)
    try:
        line = read_first_line(proc, log_path, timeout=60)
        if not line.startswith("http"):
            raise RuntimeError(f"expected the endpoint URL as first stdout line, got {line!r}")
        server.endpoint = check_loopback(line.split()[0])
        wait_http_ready(server.endpoint, proc, timeout=30)
    except BaseException:
        stop_server(server)
        raise
    return server


def read_first_line(proc: subprocess.Popen[bytes], log_path: Path, timeout: float) -> str:
    """First stdout line of proc; the rest of stdout is copied to the log in a thread."""
    lines: queue.Queue[str] = queue.Queue()

    def pump() -> None:
        assert proc.stdout is not None
        lines.put(proc.stdout.readline().decode(errors="replace").strip())
        with log_path.open("ab") as log:
            for chunk in iter(lambda: proc.stdout.read1(65536), b""):  # type: ignore[union-attr]
                log.write(chunk)
                log.flush()

    threading.Thread(target=pump, name=f"{log_path.stem}-stdout", daemon=True).start()
    try:
        return lines.get(timeout=timeout)
    except queue.Empty:
        raise RuntimeError(f"no endpoint line on stdout within {timeout:.0f}s") from None


def start_ours(args: argparse.Namespace, workdir: Path) -> Server:
    return start_objstore(workdir, args.ours_bin, args.access_key, args.secret_key)


def start_objstore(workdir: Path, ours_bin: str, access_key: str, secret_key: str,
                   extra: tuple[str, ...] = ()) -> Server:
    """Start our server (binary repo-relative unless absolute) with one identity; `extra`
    adds arguments to `serve`."""
    binary = Path(ours_bin)
    binary = binary if binary.is_absolute() else REPO_ROOT / binary
    if not os.access(binary, os.X_OK):
        raise FileNotFoundError(f"our server binary not found: {binary}")
    data_dir = workdir / "ours-data"
    data_dir.mkdir()
    cmd = [
        str(binary),
        "serve",
        "--host",
        "127.0.0.1",
        "--port",
        "0",
        "--data-dir",
        str(data_dir),
        "--access-key",
        access_key,
        "--secret-key",
        secret_key,
        *extra,
    ]
    return start_announcing("ours", cmd, workdir)


def start_stub(workdir: Path) -> Server:
    return start_announcing(
        "stub", [sys.executable, str(Path(__file__).resolve()), "--serve-stub"], workdir
    )


def stop_server(server: Server) -> None:
    proc = server.proc
    if proc is None or proc.poll() is not None:
        return
    for sig, grace in ((signal.SIGTERM, 10.0), (signal.SIGKILL, 5.0)):
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, sig)
        try:
            proc.wait(timeout=grace)
            return
        except subprocess.TimeoutExpired:
            continue


# --------------------------------------------------------------------------------------------
# Null server: answers S3 requests without doing any work, to measure the client's ceiling
# --------------------------------------------------------------------------------------------

ZEROS = bytes(MIB)


def parse_head(head: bytes) -> tuple[str, str, dict[str, str]]:
    lines = head.decode("latin-1").split("\r\n")
    method, target = lines[0].split(" ")[:2]
    headers: dict[str, str] = {}
    for line in lines[1:]:
        name, sep, value = line.partition(":")
        if sep:
            headers[name.strip().lower()] = value.strip()
    return method, target.split("?", 1)[0], headers


def stub_route(method: str, path: str, length: int, sizes: dict[str, int]) -> tuple[str, int]:
    """(status line, response Content-Length) for a request; remembers object sizes only."""
    if method == "PUT":
        if path.strip("/").count("/"):
            sizes[path] = length
        return "200 OK", 0
    if method in ("GET", "HEAD"):
        return ("200 OK", sizes[path]) if path in sizes else ("404 Not Found", 0)
    if method == "DELETE":
        sizes.pop(path, None)
        return "204 No Content", 0
    return "405 Method Not Allowed", 0


async def stub_discard(reader: asyncio.StreamReader, length: int) -> None:
    while length > 0:
        chunk = await reader.read(min(length, MIB))
        if not chunk:
            raise ConnectionError("client went away")
        length -= len(chunk)


async def stub_send(writer: asyncio.StreamWriter, length: int) -> None:
    while length > 0:
        writer.write(ZEROS[: min(length, MIB)])
        length -= MIB
        await writer.drain()


async def stub_connection(
    reader: asyncio.StreamReader, writer: asyncio.StreamWriter, sizes: dict[str, int]
) -> None:
    try:
        while True:
            method, path, headers = parse_head(await reader.readuntil(b"\r\n\r\n"))
            if headers.get("expect", "").lower() == "100-continue":
                writer.write(b"HTTP/1.1 100 Continue\r\n\r\n")
            length = int(headers.get("content-length", "0"))
            await stub_discard(reader, length)
            status, out_len = stub_route(method, path, length, sizes)
            writer.write(
                f'HTTP/1.1 {status}\r\nContent-Length: {out_len}\r\nETag: "0"\r\n\r\n'.encode()
            )
            if method == "GET" and status.startswith("200"):
                await stub_send(writer, out_len)
            await writer.drain()
    except (asyncio.IncompleteReadError, asyncio.LimitOverrunError, ConnectionError, ValueError):
        pass
    finally:
        writer.close()


def serve_stub() -> None:
    """Run the null server on a free loopback port; print its URL first, like objstore."""

    async def main() -> None:
        sizes: dict[str, int] = {}
        server = await asyncio.start_server(
            lambda r, w: stub_connection(r, w, sizes), "127.0.0.1", 0, limit=1 << 20
        )
        port = server.sockets[0].getsockname()[1]
        print(f"http://127.0.0.1:{port}", flush=True)
        await server.serve_forever()

    asyncio.run(main())


def log_tail(server: Server, lines: int = 15) -> str:
    if server.log_path is None or not server.log_path.exists():
        return ""
    text = server.log_path.read_text(errors="replace").splitlines()
    return "\n".join("    " + t for t in text[-lines:])


# --------------------------------------------------------------------------------------------
# S3 operations
# --------------------------------------------------------------------------------------------


def make_client(endpoint: str, args: argparse.Namespace) -> S3Client:
    return boto_client(
        "s3",
        endpoint,
        args.access_key,
        args.secret_key,
        args.op_timeout_s,
        s3={"addressing_style": "path"},
    )


def boto_client(
    service: str,
    endpoint: str,
    access_key: str,
    secret_key: str,
    read_timeout: float,
    **config: Any,
) -> Any:
    """A boto3 client for `service` at a loopback endpoint: region us-east-1, one attempt,
    a pool of 64 connections, no environment proxy. `config` adds botocore Config options."""
    settings = Config(
        max_pool_connections=64,
        retries={"max_attempts": 1},
        connect_timeout=10,
        read_timeout=read_timeout,
        proxies={},  # never route through an environment proxy: loopback only
        **config,
    )
    session = boto3.session.Session(
        aws_access_key_id=access_key,
        aws_secret_access_key=secret_key,
        region_name="us-east-1",
    )
    return session.client(service, endpoint_url=check_loopback(endpoint), config=settings)


# Server-side encryption for every PUT (and the SSE-C key for every read): --sse MODE.
SSE_WRITE: dict[str, Any] = {}
SSE_READ: dict[str, Any] = {}
SSE_C_KEY = os.urandom(32)  # one customer key per run


def sse_params(mode: str | None) -> tuple[dict[str, Any], dict[str, Any]]:
    """boto3 parameters of a PUT and of a GET/HEAD in this encryption mode (None or "none":
    no SSE parameters)."""
    if mode == "SSE-C":
        key = {"SSECustomerAlgorithm": "AES256", "SSECustomerKey": SSE_C_KEY}
        return dict(key), dict(key)
    if mode and mode != "none":
        return {"ServerSideEncryption": mode}, {}
    return {}, {}


def configure_sse(mode: str | None) -> None:
    write, read = sse_params(mode)
    SSE_WRITE.update(write)
    SSE_READ.update(read)


def do_put(client: S3Client, bucket: str, key: str, body: bytes | Path,
           sse: dict[str, Any] | None = None) -> int:
    sse = SSE_WRITE if sse is None else sse
    if isinstance(body, Path):
        with body.open("rb") as f:
            client.put_object(Bucket=bucket, Key=key, Body=f, **sse)
        return body.stat().st_size
    client.put_object(Bucket=bucket, Key=key, Body=body, **sse)
    return len(body)


def do_get(client: S3Client, bucket: str, key: str, expected: int,
           sse: dict[str, Any] | None = None) -> int:
    stream = client.get_object(Bucket=bucket, Key=key,
                               **(SSE_READ if sse is None else sse))["Body"]
    got = 0
    try:
        for chunk in stream.iter_chunks(chunk_size=READ_CHUNK):
            got += len(chunk)
    finally:
        stream.close()
    if got != expected:
        raise RuntimeError(f"GET {key}: got {got} bytes, expected {expected}")
    return got


def do_head(client: S3Client, bucket: str, key: str, expected: int) -> int:
    length = client.head_object(Bucket=bucket, Key=key, **SSE_READ)["ContentLength"]
    if length != expected:
        raise RuntimeError(f"HEAD {key}: ContentLength {length}, expected {expected}")
    return 0


def do_delete(client: S3Client, bucket: str, key: str) -> int:
    client.delete_object(Bucket=bucket, Key=key)
    return 0


# --------------------------------------------------------------------------------------------
# Running a workload
# --------------------------------------------------------------------------------------------


@dataclass
class Sample:
    op: str
    seconds: float
    nbytes: int


@dataclass
class OpLog:
    samples: list[Sample] = field(default_factory=list)
    errors: int = 0
    first_error: str | None = None
    truncated: bool = False
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, sample: Sample) -> None:
        with self.lock:
            self.samples.append(sample)

    def fail(self, exc: BaseException) -> None:
        with self.lock:
            self.errors += 1
            if self.first_error is None:
                self.first_error = f"{type(exc).__name__}: {exc}"[:300]


def timed(log: OpLog, op: str, fn: Callable[[], int]) -> bool:
    start = time.perf_counter()
    try:
        nbytes = fn()
    except Exception as exc:  # one failed request must not end the run
        log.fail(exc)
        return False
    log.add(Sample(op, time.perf_counter() - start, nbytes))
    return True


def task_for(
    wl: Workload, client: S3Client, bucket: str, body: bytes | Path, log: OpLog
) -> Callable[[int], None]:
    def put(i: int) -> None:
        timed(log, "PUT", lambda: do_put(client, bucket, f"{wl.prefix}{i}", body))

    def get(i: int) -> None:
        timed(log, "GET", lambda: do_get(client, bucket, f"{wl.prefix}{i}", wl.size))

    def mixed(i: int) -> None:
        # One unit = PUT, GET, HEAD, DELETE of a fresh key: an even mix that always succeeds
        # on a correct server. Each request counts as one op.
        key = f"{wl.prefix}{i}"
        steps: list[tuple[str, Callable[[], int]]] = [
            ("PUT", lambda: do_put(client, bucket, key, body)),
            ("GET", lambda: do_get(client, bucket, key, wl.size)),
            ("HEAD", lambda: do_head(client, bucket, key, wl.size)),
            ("DELETE", lambda: do_delete(client, bucket, key)),
        ]
        for op, fn in steps:
            if not timed(log, op, fn):
                return

    return {"put": put, "get": get, "mixed": mixed}[wl.kind]


def run_concurrent(
    task: Callable[[int], None], units: int, concurrency: int, deadline: float, log: OpLog
) -> float:
    """Run task(0..units-1) on `concurrency` threads; returns wall seconds."""
    counter = iter(range(units))
    counter_lock = threading.Lock()

    def next_unit() -> int | None:
        if STOP.is_set() or time.monotonic() > deadline:
            log.truncated = True
            return None
        with counter_lock:
            return next(counter, None)

    def worker() -> None:
        while (i := next_unit()) is not None:
            task(i)

    pool = ThreadPoolExecutor(max_workers=max(1, min(concurrency, units)))
    start = time.perf_counter()
    try:
        futures = [pool.submit(worker) for _ in range(max(1, min(concurrency, units)))]
        done, _ = wait(futures, return_when=FIRST_EXCEPTION)
        for fut in done:
            fut.result()
        return time.perf_counter() - start
    except BaseException:
        STOP.set()
        raise
    finally:
        pool.shutdown(wait=not STOP.is_set(), cancel_futures=True)


# --------------------------------------------------------------------------------------------
# Results
# --------------------------------------------------------------------------------------------


def percentile(values: list[float], q: float) -> float | None:
    """Linear-interpolated percentile of already-sorted values (q in 0..1)."""
    if not values:
        return None
    pos = (len(values) - 1) * q
    lo = math.floor(pos)
    hi = min(lo + 1, len(values) - 1)
    return values[lo] + (values[hi] - values[lo]) * (pos - lo)


def latency_ms(samples: list[Sample]) -> dict[str, float | None]:
    lat = sorted(s.seconds * 1000 for s in samples)
    return {f"p{int(q * 100)}_ms": percentile(lat, q) for q in (0.5, 0.9, 0.99)}


@dataclass
class Usage:
    """Resources used during one workload."""

    rss_start_mib: float | None = None
    rss_peak_mib: float | None = None
    server_cpu_s: float | None = None
    client_cpu_s: float = 0.0


class Meter:
    """Measures server RSS (through the sampler) and server/client CPU time over a workload."""

    def __init__(self, sampler: RssSampler | None) -> None:
        self.sampler = sampler
        self._usage = Usage()
        self._server_cpu0 = 0.0
        self._client_cpu0 = 0.0

    def begin(self) -> None:
        self._usage = Usage()
        if self.sampler:
            self._usage.rss_start_mib = self.sampler.reset_window()
            self._server_cpu0 = tree_cpu_seconds(self.sampler.pid)
        self._client_cpu0 = time.process_time()

    def end(self) -> Usage:
        self._usage.client_cpu_s = time.process_time() - self._client_cpu0
        if self.sampler:
            self._usage.server_cpu_s = tree_cpu_seconds(self.sampler.pid) - self._server_cpu0
            self._usage.rss_peak_mib = self.sampler.window_peak()
        return self._usage


def per(value: float | None, count: float, scale: float = 1.0) -> float | None:
    return value * scale / count if value is not None and count > 0 else None


def summarize(wl: Workload, log: OpLog, wall: float, usage: Usage) -> dict[str, Any]:
    ops = len(log.samples)
    nbytes = sum(s.nbytes for s in log.samples)
    result: dict[str, Any] = {
        "label": wl.label,
        "kind": wl.kind,
        "object_size": wl.size,
        "planned_ops": wl.count,
        "concurrency": wl.concurrency,
        "ops": ops,
        "errors": log.errors,
        "first_error": log.first_error,
        "truncated": log.truncated,
        "wall_s": round(wall, 4),
        "ops_per_s": per(ops, wall) if ops else None,
        "mb_per_s": per(nbytes / MB, wall) if nbytes else None,
        **latency_ms(log.samples),
        **asdict(usage),
        "server_cpu_ms_per_op": per(usage.server_cpu_s, ops, 1000),
        "server_cores": per(usage.server_cpu_s, wall),
        "client_cpu_ms_per_op": per(usage.client_cpu_s, ops, 1000),
        "client_cores": per(usage.client_cpu_s, wall),
    }
    if wl.kind == "mixed":
        by_op: dict[str, dict[str, Any]] = {}
        for op in ("PUT", "GET", "HEAD", "DELETE"):
            subset = [s for s in log.samples if s.op == op]
            by_op[op] = {"ops": len(subset), **latency_ms(subset)}
        result["by_op"] = by_op
    return result


# --------------------------------------------------------------------------------------------
# Benchmarking one server
# --------------------------------------------------------------------------------------------


def cleanup_objects(client: S3Client, bucket: str, wl: Workload) -> None:
    for i in range(wl.count):
        if STOP.is_set():
            return
        with contextlib.suppress(Exception):
            client.delete_object(Bucket=bucket, Key=f"{wl.prefix}{i}")


def run_workload(
    wl: Workload, client: S3Client, bucket: str, bodies: Bodies, meter: Meter, deadline: float
) -> dict[str, Any]:
    body = bodies.for_size(wl.size)
    log = OpLog()
    units = wl.count // 4 if wl.kind == "mixed" else wl.count
    meter.begin()
    wall = run_concurrent(
        task_for(wl, client, bucket, body, log), max(units, 1), wl.concurrency, deadline, log
    )
    usage = meter.end()
    if wl.cleanup:
        cleanup_objects(client, bucket, wl)
    return summarize(wl, log, wall, usage)


def print_progress(server: Server, res: dict[str, Any]) -> None:
    flags = (f" errors={res['errors']}" if res["errors"] else "") + (
        " TRUNCATED" if res["truncated"] else ""
    )
    print(
        f"  [{server.name:<4}] {res['label']:<22} {fmt(res['ops_per_s'], '8.1f')} ops/s "
        f"{fmt(res['mb_per_s'], '7.1f')} MB/s  p50 {fmt(res['p50_ms'], '8.2f')} ms  "
        f"p99 {fmt(res['p99_ms'], '8.2f')} ms  RSS {fmt(res['rss_peak_mib'], '6.1f')} MiB  "
        f"cores srv {fmt(res['server_cores'], '.2f')} cli {fmt(res['client_cores'], '.2f')}"
        f"  ({res['wall_s']:.1f}s){flags}",
        flush=True,
    )
    if res["first_error"]:
        print(f"      first error: {res['first_error']}", flush=True)


def create_bucket(client: S3Client, bucket: str) -> None:
    client.create_bucket(Bucket=bucket)


def drop_bucket(client: S3Client, bucket: str) -> None:
    """Best-effort removal of everything the run left (used for external endpoints)."""
    with contextlib.suppress(Exception):
        for page in client.get_paginator("list_objects_v2").paginate(Bucket=bucket):
            for obj in page.get("Contents", []):
                client.delete_object(Bucket=bucket, Key=obj["Key"])
        client.delete_bucket(Bucket=bucket)


def bench_server(
    server: Server,
    plan: list[Workload],
    bodies: Bodies,
    args: argparse.Namespace,
    out: dict[str, Any],
) -> None:
    """Run the plan against one server, filling `out` as it goes (so Ctrl-C keeps partials)."""
    client = make_client(server.endpoint, args)
    bucket = f"bench-{uuid.uuid4().hex[:12]}"
    sampler = RssSampler(server.pid) if server.pid else None
    meter = Meter(sampler)
    workloads: dict[str, Any] = {}
    out.update(endpoint=server.endpoint, pid=server.pid, bucket=bucket, workloads=workloads)
    if sampler:
        sampler.start()
        out["idle_rss_mib"] = sampler.sample()
    deadline = time.monotonic() + args.budget_s
    try:
        create_bucket(client, bucket)
        for wl in plan:
            workloads[wl.key] = run_workload(wl, client, bucket, bodies, meter, deadline)
            print_progress(server, workloads[wl.key])
    finally:
        if sampler:
            sampler.stop()
            out["peak_rss_mib"] = sampler.overall_peak
        if server.proc is None:
            drop_bucket(client, bucket)


def external_endpoint(name: str, args: argparse.Namespace) -> str | None:
    """--endpoint stands for 'ours', or for whichever server --only names."""
    if args.endpoint and name == (args.only or "ours"):
        return check_loopback(args.endpoint)
    return None


def start_server(name: str, args: argparse.Namespace, workdir: Path) -> Server:
    endpoint = external_endpoint(name, args)
    if endpoint:
        return Server(name, endpoint, pid=args.pid)
    if name == "moto":
        return start_moto(workdir)
    if name == "stub":
        return start_stub(workdir)
    return start_ours(args, workdir)


def print_log_tail(server: Server) -> None:
    tail = log_tail(server)
    if tail:
        print(f"   last log lines:\n{tail}", flush=True)


def run_target(
    name: str,
    plan: list[Workload],
    bodies: Bodies,
    args: argparse.Namespace,
    workdir: Path,
    out: dict[str, Any],
) -> None:
    print(f"\n== {name}: starting", flush=True)
    try:
        server = start_server(name, args, workdir)
    except (OSError, RuntimeError, subprocess.CalledProcessError) as exc:
        print(f"== {name}: could not start: {exc}", flush=True)
        print_log_tail(Server(name, "", log_path=workdir / f"{name}.log"))
        out["error"] = str(exc)
        return
    print(f"== {name}: {server.endpoint} (pid {server.pid})", flush=True)
    try:
        bench_server(server, plan, bodies, args, out)
    except Exception as exc:
        print(f"== {name}: benchmark failed: {type(exc).__name__}: {exc}", flush=True)
        print_log_tail(server)
        out["error"] = f"{type(exc).__name__}: {exc}"
    finally:
        stop_server(server)


# --------------------------------------------------------------------------------------------
# Table and verdict
# --------------------------------------------------------------------------------------------

METRICS: list[tuple[str, str, str]] = [
    ("ops/s", "ops_per_s", ".1f"),
    ("MB/s", "mb_per_s", ".1f"),
    ("p50 ms", "p50_ms", ".2f"),
    ("p90 ms", "p90_ms", ".2f"),
    ("p99 ms", "p99_ms", ".2f"),
    ("peak RSS MiB", "rss_peak_mib", ".1f"),
    ("server CPU ms/op", "server_cpu_ms_per_op", ".2f"),
    ("client cores", "client_cores", ".2f"),
    ("errors", "errors", "d"),
]
HEADER = ["workload", "metric", "ours", "moto", "ours/moto", "stub"]


def metric(results: dict[str, Any], target: str, wl_key: str, name: str) -> Any:
    return results.get(target, {}).get("workloads", {}).get(wl_key, {}).get(name)


def ratio(a: Any, b: Any) -> float | None:
    if isinstance(a, int | float) and isinstance(b, int | float) and b:
        return a / b
    return None


def fmt(v: Any, spec: str) -> str:
    return "-" if v is None else format(v, spec)


def table_rows(results: dict[str, Any], plan: list[Workload]) -> Iterator[list[str]]:
    for wl in plan:
        for label, key, spec in METRICS:
            ours, moto, stub = (metric(results, t, wl.key, key) for t in ("ours", "moto", "stub"))
            if key == "errors" and not (ours or moto or stub):
                continue
            r = ratio(ours, moto) if key != "errors" else None
            yield [
                wl.label,
                label,
                fmt(ours, spec),
                fmt(moto, spec),
                fmt(r, ".2f"),
                fmt(stub, spec),
            ]
    for label, key in (("idle RSS MiB", "idle_rss_mib"), ("peak RSS MiB", "peak_rss_mib")):
        ours, moto, stub = (results.get(t, {}).get(key) for t in ("ours", "moto", "stub"))
        yield [
            "overall",
            label,
            fmt(ours, ".1f"),
            fmt(moto, ".1f"),
            fmt(ratio(ours, moto), ".2f"),
            fmt(stub, ".1f"),
        ]


def format_row(cells: list[str], widths: list[int]) -> str:
    return " | ".join(
        c.ljust(w) if i < 2 else c.rjust(w)
        for i, (c, w) in enumerate(zip(cells, widths, strict=True))
    )


def print_table(results: dict[str, Any], plan: list[Workload]) -> None:
    rows = list(table_rows(results, plan))
    widths = [max(len(r[i]) for r in [HEADER, *rows]) for i in range(len(HEADER))]
    rule = "-+-".join("-" * w for w in widths)
    print()
    print(format_row(HEADER, widths))
    prev = None
    for row in rows:
        if row[0] != prev:
            print(rule)
        prev = row[0]
        print(format_row(row, widths))
    print("(stub = a null server that does no work: the ceiling of this client on this machine)")


def small_keys(plan: list[Workload]) -> list[str]:
    return [w.key for w in plan if w.size == plan[0].size and w.kind in ("put", "get", "mixed")]


def ratios_of(
    results: dict[str, Any], keys: list[str], name: str, a: str, b: str
) -> dict[str, float | None]:
    return {k: ratio(metric(results, a, k, name), metric(results, b, k, name)) for k in keys}


def threshold_status(ratios: dict[str, float | None], minimum: float) -> str:
    if not ratios or any(r is None for r in ratios.values()):
        return "N/A"
    return "PASS" if all(r is not None and r >= minimum for r in ratios.values()) else "FAIL"


def describe(ratios: dict[str, float | None]) -> str:
    return ", ".join(f"{k} {fmt(r, '.2f')}x" for k, r in ratios.items())


def verdict_ops(results: dict[str, Any], plan: list[Workload]) -> dict[str, Any]:
    keys = small_keys(plan)
    measured = ratios_of(results, keys, "ops_per_s", "ours", "moto")
    ceiling = ratios_of(results, keys, "ops_per_s", "stub", "moto")
    detail = describe(measured)
    known_ceiling = [c for c in ceiling.values() if c is not None]
    client_bound = bool(known_ceiling) and min(known_ceiling) < 3.0
    if client_bound:
        detail += (
            f"; CLIENT-BOUND: even a null server gets only {describe(ceiling)} moto's "
            "ops/s from this client, so judge by server CPU/op below"
        )
    return {
        "target": f"{fmt_size(plan[0].size)} ops/s >= 3x moto",
        "status": threshold_status(measured, 3.0),
        "ratios": measured,
        "ceiling_ratios": ceiling,
        "client_bound": client_bound,
        "detail": detail,
    }


def verdict_cpu(results: dict[str, Any], plan: list[Workload]) -> dict[str, Any]:
    keys = small_keys(plan)
    # moto's server CPU per op over ours: how many more ops ours serves per core-second.
    eff = ratios_of(results, keys, "server_cpu_ms_per_op", "moto", "ours")
    return {
        "target": f"{fmt_size(plan[0].size)} ops per server CPU-second >= 3x moto",
        "status": threshold_status(eff, 3.0),
        "ratios": eff,
        "detail": describe(eff),
    }


def verdict_large_put(results: dict[str, Any], plan: list[Workload]) -> dict[str, Any]:
    key = f"put_{fmt_size(64 * MIB)}"
    measured = ratios_of(
        results, [key] if any(w.key == key for w in plan) else [], "mb_per_s", "ours", "moto"
    )
    ceiling = ratio(
        metric(results, "stub", key, "mb_per_s"), metric(results, "moto", key, "mb_per_s")
    )
    detail = describe(measured) + (
        f"; null-server ceiling {ceiling:.2f}x" if ceiling is not None else ""
    )
    return {
        "target": "64MiB PUT MB/s >= 2x moto",
        "status": threshold_status(measured, 2.0),
        "ratios": measured,
        "ceiling_ratio": ceiling,
        "detail": detail,
    }


def class_peak(results: dict[str, Any], target: str, size: int) -> float | None:
    s = fmt_size(size)
    peaks = [metric(results, target, f"{kind}_{s}", "rss_peak_mib") for kind in ("put", "get")]
    known = [p for p in peaks if p is not None]
    return max(known) if known else None


def verdict_memory(
    results: dict[str, Any], plan: list[Workload], slack_mib: float
) -> dict[str, Any]:
    huge = next((w for w in plan if w.key.startswith("put_") and w.size > 64 * MIB), None)
    target = f"flat memory (ours: peak at huge <= peak at 64MiB + {slack_mib:g} MiB)"
    if huge is None:
        return {"target": target, "status": "N/A", "detail": "huge workloads skipped"}
    peaks = {
        f"{t}_{cls}_mib": class_peak(results, t, size)
        for t in ("ours", "moto")
        for cls, size in (("large", 64 * MIB), ("huge", huge.size))
    }
    at_large, at_huge = peaks["ours_large_mib"], peaks["ours_huge_mib"]
    growth = None if at_large is None or at_huge is None else at_huge - at_large
    status = "N/A" if growth is None else ("PASS" if growth <= slack_mib else "FAIL")
    detail = (
        f"ours {fmt(at_huge, '.1f')} MiB at {fmt_size(huge.size)} vs "
        f"{fmt(at_large, '.1f')} MiB at 64MiB, +{fmt(growth, '.1f')} MiB; moto "
        f"{fmt(peaks['moto_huge_mib'], '.1f')} vs {fmt(peaks['moto_large_mib'], '.1f')} MiB"
    )
    return {"target": target, "status": status, "detail": detail, "growth_mib": growth, **peaks}


def verdicts(
    results: dict[str, Any], plan: list[Workload], args: argparse.Namespace
) -> list[dict[str, Any]]:
    return [
        verdict_ops(results, plan),
        verdict_cpu(results, plan),
        verdict_large_put(results, plan),
        verdict_memory(results, plan, args.flat_slack_mib),
    ]


def print_verdict(items: list[dict[str, Any]]) -> None:
    print()
    print("VERDICT: " + " | ".join(f"{v['target']}: {v['status']}" for v in items))
    for v in items:
        print(f"  - {v['target']}: {v['status']} ({v['detail']})")


# --------------------------------------------------------------------------------------------
# Main
# --------------------------------------------------------------------------------------------


def environment_info() -> dict[str, Any]:
    return {
        "python": platform.python_version(),
        "boto3": boto3.__version__,
        "botocore": botocore.__version__,
        "cpus": os.cpu_count(),
        "machine": platform.machine(),
        "kernel": platform.release(),
    }


def isolate_client_env() -> None:
    """Keep the user's AWS config and proxies out of the benchmark client."""
    os.environ["AWS_CONFIG_FILE"] = os.devnull
    os.environ["AWS_SHARED_CREDENTIALS_FILE"] = os.devnull
    os.environ["AWS_EC2_METADATA_DISABLED"] = "true"
    no_proxy = os.environ.get("NO_PROXY", "")
    os.environ["NO_PROXY"] = ",".join(x for x in (no_proxy, "127.0.0.1,localhost") if x)


def install_signal_handlers() -> None:
    def on_term(signum: int, _frame: object) -> None:
        STOP.set()
        raise KeyboardInterrupt(f"signal {signum}")

    # Ctrl-C must stop the servers even when started from a shell that ignores SIGINT.
    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGTERM, on_term)
    if signal.getsignal(signal.SIGHUP) is not signal.SIG_IGN:  # respect nohup
        signal.signal(signal.SIGHUP, on_term)


def new_results(args: argparse.Namespace, stamp: str) -> dict[str, Any]:
    """The head every benchmark's results start with."""
    return {
        "timestamp": stamp,
        "mode": "quick" if args.quick else "full",
        "environment": environment_info(),
        "args": {k: str(v) if isinstance(v, Path) else v for k, v in vars(args).items()},
    }


def run_interruptible(body: Callable[[], object], results: dict[str, Any], workdir: Path,
                      keep_temp: bool) -> int:
    """Run a benchmark's body: Ctrl-C or SIGTERM stops it (the servers stop, the partial
    results stay), the temp dir goes unless kept, and the elapsed time and the client's
    peak RSS are recorded. The exit code: 0, or 130 when interrupted."""
    started = time.monotonic()
    code = 0
    try:
        body()
    except KeyboardInterrupt:
        STOP.set()
        results["interrupted"] = True
        print("\ninterrupted: servers stopped; partial results follow", flush=True)
        code = 130
    finally:
        if keep_temp:
            print(f"temp dir kept: {workdir}")
        else:
            shutil.rmtree(workdir, ignore_errors=True)
    results["elapsed_s"] = round(time.monotonic() - started, 1)
    results["client_peak_rss_mib"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return code


def write_json(results: dict[str, Any], path: Path | None, stamp: str) -> Path:
    path = path or RESULTS_DIR / f"{stamp}.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(results, indent=2, default=str) + "\n")
    return path


def targets_for(args: argparse.Namespace) -> list[str]:
    names = [args.only] if args.only else ["ours", "moto"]
    return names if args.no_ceiling else ["stub", *names]


def run(args: argparse.Namespace, workdir: Path, results: dict[str, Any]) -> None:
    plan = build_plan(args)
    results["plan"] = [asdict(w) for w in plan]
    names = targets_for(args)
    if "moto" in names and not external_endpoint("moto", args):
        ensure_moto_venv()
    bodies = Bodies(workdir)
    for name in names:
        results[name] = {}
        run_target(name, plan, bodies, args, workdir, results[name])


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if "--sse-matrix" in argv:  # every encryption mode beside the plaintext path: sse_bench.py
        sys.path.insert(0, str(REPO_ROOT))
        from bench.sse_bench import main as sse_main

        return sse_main([a for a in argv if a != "--sse-matrix"])
    args = parse_args(argv)
    if args.serve_stub:
        serve_stub()
        return 0
    isolate_client_env()
    install_signal_handlers()
    configure_sse(args.sse)
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
    workdir = Path(tempfile.mkdtemp(prefix="objstore-bench-", dir="/tmp"))
    results = new_results(args, stamp)
    code = run_interruptible(lambda: run(args, workdir, results), results, workdir,
                             args.keep_temp)
    plan = [Workload(**w) for w in results.get("plan", [])]
    if plan:
        print_table(results, plan)
        results["verdict"] = verdicts(results, plan, args)
        print_verdict(results["verdict"])
    path = write_json(results, args.out, stamp)
    print(
        f"\nclient peak RSS {results['client_peak_rss_mib']:.1f} MiB; "
        f"elapsed {results['elapsed_s']:.1f}s; results: {path}"
    )
    if any("error" in results.get(n, {}) for n in targets_for(args)):
        code = code or 1
    return code


if __name__ == "__main__":
    sys.exit(main())
