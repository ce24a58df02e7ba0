#!/usr/bin/env python3
"""KMS benchmark: GenerateDataKey and Decrypt per second, our server against moto's server,
plus our KmsService called in-process (what SSE-KMS costs the object store per object).

Run it with the project's venv:

    .venv/bin/python bench/kms_bench.py            # full: under about 2 minutes
    .venv/bin/python bench/kms_bench.py --quick    # under about 45 seconds
    .venv/bin/python bench/kms_bench.py --only ours --only inproc

Over HTTP it uses boto3's kms client (region us-east-1, one attempt) at 1 and 8 threads; the
in-process run is one thread. It samples each server's CPU time from /proc, prints an
ours | moto | ours/moto | in-process table and the ratios, writes the figures to
bench/results/kms-<timestamp>.json and stops every server it started. See bench/README.md.
"""

from __future__ import annotations

import sys
from pathlib import Path

# Run as a script, sys.path[0] is bench/, where bench.py would shadow the bench package.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import argparse
import os
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any, Protocol

from bench.bench import (
    DEFAULT_OURS_BIN,
    RESULTS_DIR,
    STOP,
    Meter,
    OpLog,
    RssSampler,
    Server,
    Usage,
    boto_client,
    ensure_moto_venv,
    fmt,
    format_row,
    install_signal_handlers,
    isolate_client_env,
    latency_ms,
    log_tail,
    new_results,
    per,
    ratio,
    run_concurrent,
    run_interruptible,
    start_moto,
    start_objstore,
    stop_server,
    timed,
    write_json,
)
from kms.service.caller import Caller
from kms.service.service import KmsService

ACCESS_KEY = "AKIAIOSFODNN7EXAMPLE"
SECRET_KEY = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
ADMIN = Caller(
    arn="arn:aws:iam::111122223333:user/admin", account_id="111122223333", user_name="admin"
)
TARGETS = ("inproc", "ours", "moto")
HTTP_TARGETS = ("ours", "moto")
WARMUP_OPS = 16  # untimed GenerateDataKey+Decrypt pairs per target, at the highest concurrency

PRESETS: dict[str, dict[str, int]] = {
    "full": {"count": 1000, "inproc_count": 3000, "budget_s": 35},
    "quick": {"count": 250, "inproc_count": 500, "budget_s": 12},
}


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(
        description="KMS GenerateDataKey/Decrypt ops/s: our server vs moto, and in-process.",
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    p.add_argument("--quick", action="store_true", help="small counts; under ~45 s in total")
    p.add_argument(
        "--only",
        action="append",
        choices=TARGETS,
        help="bench only this target (repeatable); default: all three",
    )
    p.add_argument("--count", type=int, help="ops per HTTP workload (full 1000, quick 250)")
    p.add_argument(
        "--inproc-count", type=int, help="ops per in-process workload (full 3000, quick 500)"
    )
    p.add_argument(
        "--concurrency",
        type=int,
        nargs="+",
        default=[1, 8],
        help="client threads for the HTTP workloads",
    )
    p.add_argument(
        "--budget-s", type=int, help="time budget per target, seconds (full 35, quick 12)"
    )
    p.add_argument("--ours-bin", default=DEFAULT_OURS_BIN, help="objstore binary (repo-relative)")
    p.add_argument("--op-timeout-s", type=int, default=60, help="socket read timeout per request")
    p.add_argument("--out", type=Path, help="JSON path (default bench/results/kms-<ts>.json)")
    p.add_argument("--keep-temp", action="store_true", help="keep the temp dir (logs, data)")
    args = p.parse_args(argv)
    for key, value in PRESETS["quick" if args.quick else "full"].items():
        if getattr(args, key) is None:
            setattr(args, key, value)
    args.concurrency = sorted(set(args.concurrency))
    if min(args.concurrency) < 1 or min(args.count, args.inproc_count) < 1:
        p.error("counts and concurrency must be at least 1")
    return args


# --------------------------------------------------------------------------------------------
# Workloads
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class KmsWorkload:
    key: str  # JSON key, e.g. "gdk_c1"
    label: str  # table label
    op: str  # "GenerateDataKey" | "Decrypt"
    count: int
    concurrency: int


OPS = (("gdk", "GenerateDataKey"), ("decrypt", "Decrypt"))


def build_plan(count: int, concurrency: list[int]) -> list[KmsWorkload]:
    """For each concurrency: GenerateDataKey, then Decrypt of the data keys it made."""
    return [
        KmsWorkload(f"{short}_c{c}", f"{op} x{count} c{c}", op, count, c)
        for c in concurrency
        for short, op in OPS
    ]


def encryption_context(i: int) -> dict[str, str]:
    """The context S3 sends with SSE-KMS: the object's ARN."""
    return {"aws:s3:arn": f"arn:aws:s3:::kms-bench/object-{i}"}


@dataclass(frozen=True)
class DataKey:
    index: int  # which encryption context it was made under
    blob: bytes
    plaintext: bytes


class Kms(Protocol):
    """The two operations, over HTTP or in-process."""

    def generate(self, context: dict[str, str]) -> tuple[bytes, bytes]: ...

    def decrypt(self, blob: bytes, context: dict[str, str]) -> bytes: ...


class HttpKms:
    def __init__(self, client: Any, key_id: str) -> None:
        self.client = client
        self.key_id = key_id

    def generate(self, context: dict[str, str]) -> tuple[bytes, bytes]:
        made = self.client.generate_data_key(
            KeyId=self.key_id, KeySpec="AES_256", EncryptionContext=context
        )
        return made["CiphertextBlob"], made["Plaintext"]

    def decrypt(self, blob: bytes, context: dict[str, str]) -> bytes:
        opened = self.client.decrypt(CiphertextBlob=blob, EncryptionContext=context)
        return bytes(opened["Plaintext"])


class InProcessKms:
    def __init__(self, service: KmsService, key_id: str) -> None:
        self.service = service
        self.key_id = key_id

    def generate(self, context: dict[str, str]) -> tuple[bytes, bytes]:
        made = self.service.generate_data_key(
            ADMIN, key_id=self.key_id, key_spec="AES_256", encryption_context=context
        )
        return made["CiphertextBlob"], made["Plaintext"]

    def decrypt(self, blob: bytes, context: dict[str, str]) -> bytes:
        opened = self.service.decrypt(ADMIN, ciphertext_blob=blob, encryption_context=context)
        return bytes(opened["Plaintext"])


@dataclass
class KeyPool:
    """The data keys a GenerateDataKey workload made, for the Decrypt workload after it."""

    keys: list[DataKey] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, key: DataKey) -> None:
        with self.lock:
            self.keys.append(key)


def generate_one(kms: Kms, i: int, pool: KeyPool) -> int:
    blob, plaintext = kms.generate(encryption_context(i))
    if len(plaintext) != 32:
        raise RuntimeError(f"GenerateDataKey: {len(plaintext)}-byte plaintext, expected 32")
    pool.add(DataKey(i, blob, plaintext))
    return 0


def decrypt_one(kms: Kms, key: DataKey) -> int:
    if kms.decrypt(key.blob, encryption_context(key.index)) != key.plaintext:
        raise RuntimeError(f"Decrypt of data key {key.index}: wrong plaintext")
    return 0


def task_for(wl: KmsWorkload, kms: Kms, pool: KeyPool, log: OpLog) -> Callable[[int], None]:
    if wl.op == "GenerateDataKey":
        pool.keys.clear()

        def gdk(i: int) -> None:
            timed(log, wl.op, lambda: generate_one(kms, i, pool))

        return gdk

    keys = list(pool.keys)
    if not keys:
        raise RuntimeError("no data keys to decrypt: the GenerateDataKey workload made none")

    def dec(i: int) -> None:
        timed(log, wl.op, lambda: decrypt_one(kms, keys[i % len(keys)]))

    return dec


def summarize(wl: KmsWorkload, log: OpLog, wall: float, usage: Usage) -> dict[str, Any]:
    ops = len(log.samples)
    return {
        "label": wl.label,
        "op": wl.op,
        "planned_ops": wl.count,
        "concurrency": wl.concurrency,
        "ops": ops,
        "errors": log.errors,
        "first_error": log.first_error,
        "truncated": log.truncated,
        "wall_s": round(wall, 4),
        "ops_per_s": per(ops, wall) if ops else None,
        **latency_ms(log.samples),
        **asdict(usage),
        "server_cpu_ms_per_op": per(usage.server_cpu_s, ops, 1000),
        "server_cores": per(usage.server_cpu_s, wall),
        "client_cpu_ms_per_op": per(usage.client_cpu_s, ops, 1000),
        "client_cores": per(usage.client_cpu_s, wall),
    }


def run_workload(
    wl: KmsWorkload, kms: Kms, pool: KeyPool, meter: Meter, deadline: float
) -> dict[str, Any]:
    log = OpLog()
    task = task_for(wl, kms, pool, log)
    meter.begin()
    wall = run_concurrent(task, wl.count, wl.concurrency, deadline, log)
    return summarize(wl, log, wall, meter.end())


def warm_up(kms: Kms, concurrency: int, deadline: float) -> None:
    """One checked round trip (its errors end the target), then a few more on every thread,
    so connections are open and caches warm before anything is timed."""
    decrypt_one(kms, DataKey(0, *kms.generate(encryption_context(0))))
    log = OpLog()

    def pair(i: int) -> int:
        return decrypt_one(kms, DataKey(i, *kms.generate(encryption_context(i))))

    run_concurrent(
        lambda i: timed(log, "warm-up", lambda: pair(i)), WARMUP_OPS, concurrency, deadline, log
    )
    if log.errors:
        raise RuntimeError(f"warm-up: {log.errors} errors, first: {log.first_error}")


def print_progress(name: str, res: dict[str, Any]) -> None:
    flags = (f" errors={res['errors']}" if res["errors"] else "") + (
        " TRUNCATED" if res["truncated"] else ""
    )
    print(
        f"  [{name:<6}] {res['label']:<26} {fmt(res['ops_per_s'], '.1f'):>8} ops/s  "
        f"p50 {fmt(res['p50_ms'], '.2f'):>7} ms  p99 {fmt(res['p99_ms'], '.2f'):>7} ms  "
        f"server CPU {fmt(res['server_cpu_ms_per_op'], '.2f')} ms/op  "
        f"client CPU {fmt(res['client_cpu_ms_per_op'], '.2f')} ms/op  "
        f"({res['wall_s']:.1f}s){flags}",
        flush=True,
    )
    if res["first_error"]:
        print(f"      first error: {res['first_error']}", flush=True)


def bench_kms(
    name: str,
    kms: Kms,
    plan: list[KmsWorkload],
    meter: Meter,
    budget_s: float,
    out: dict[str, Any],
) -> None:
    """Run the plan against one target, filling `out` as it goes (Ctrl-C keeps partials)."""
    deadline = time.monotonic() + budget_s
    workloads: dict[str, Any] = out.setdefault("workloads", {})
    warm_up(kms, max(wl.concurrency for wl in plan), deadline)
    pool = KeyPool()
    for wl in plan:
        if STOP.is_set() or time.monotonic() > deadline:
            print(
                f"  [{name:<6}] time budget of {budget_s:g}s spent: skipping the rest", flush=True
            )
            out["truncated"] = True
            return
        workloads[wl.key] = run_workload(wl, kms, pool, meter, deadline)
        print_progress(name, workloads[wl.key])


# --------------------------------------------------------------------------------------------
# Targets
# --------------------------------------------------------------------------------------------


class SelfMeter(Meter):
    """For the in-process target: this process did the KMS work, so its CPU time is the
    server's."""

    def end(self) -> Usage:
        usage = super().end()
        usage.server_cpu_s = usage.client_cpu_s
        return usage


def run_inproc(args: argparse.Namespace, workdir: Path, out: dict[str, Any]) -> None:
    """Our KmsService called directly, one thread: the per-object cost of SSE-KMS. Its CPU
    time is this process's (time.process_time), reported as server CPU."""
    print("\n== inproc: KmsService in this process, 1 thread", flush=True)
    data_dir = workdir / "inproc-kms"
    data_dir.mkdir()
    service = KmsService(data_dir)
    try:
        key_id = service.create_key(ADMIN, description="kms bench")["KeyMetadata"]["KeyId"]
        out.update(data_dir=str(data_dir), key_id=key_id)
        plan = build_plan(args.inproc_count, [1])
        kms = InProcessKms(service, key_id)
        bench_kms("inproc", kms, plan, SelfMeter(None), args.budget_s, out)
    finally:
        service.close()


def start_target(name: str, args: argparse.Namespace, workdir: Path) -> Server:
    if name == "moto":
        return start_moto(workdir)
    return start_objstore(workdir, args.ours_bin, ACCESS_KEY, SECRET_KEY)


def run_http(name: str, args: argparse.Namespace, workdir: Path, out: dict[str, Any]) -> None:
    print(f"\n== {name}: starting", flush=True)
    server = start_target(name, args, workdir)
    sampler = RssSampler(server.pid) if server.pid else None
    try:
        print(f"== {name}: {server.endpoint} (pid {server.pid})", flush=True)
        client = boto_client("kms", server.endpoint, ACCESS_KEY, SECRET_KEY, args.op_timeout_s)
        key_id = client.create_key(Description="kms bench")["KeyMetadata"]["KeyId"]
        out.update(endpoint=server.endpoint, pid=server.pid, key_id=key_id)
        if sampler:
            sampler.start()
            out["idle_rss_mib"] = sampler.sample()
        plan = build_plan(args.count, args.concurrency)
        bench_kms(name, HttpKms(client, key_id), plan, Meter(sampler), args.budget_s, out)
    except Exception:
        tail = log_tail(server)
        if tail:
            print(f"   last log lines:\n{tail}", flush=True)
        raise
    finally:
        if sampler:
            sampler.stop()
            out["peak_rss_mib"] = sampler.overall_peak
        stop_server(server)


def run_target(name: str, args: argparse.Namespace, workdir: Path, out: dict[str, Any]) -> None:
    try:
        if name == "inproc":
            run_inproc(args, workdir, out)
        else:
            run_http(name, args, workdir, out)
    except Exception as exc:  # includes a failed moto install (CalledProcessError)
        print(f"== {name}: failed: {type(exc).__name__}: {exc}", flush=True)
        out["error"] = f"{type(exc).__name__}: {exc}"


# --------------------------------------------------------------------------------------------
# Table and ratios
# --------------------------------------------------------------------------------------------

METRICS: list[tuple[str, str, str]] = [
    ("ops/s", "ops_per_s", ".1f"),
    ("p50 ms", "p50_ms", ".2f"),
    ("p99 ms", "p99_ms", ".2f"),
    ("server CPU ms/op", "server_cpu_ms_per_op", ".3f"),
    ("client CPU ms/op", "client_cpu_ms_per_op", ".2f"),
    ("errors", "errors", "d"),
]
RATIO_METRICS = METRICS[:4]
HEADER = ["workload", "metric", "ours", "moto", "ours/moto", "in-process"]


def metric(results: dict[str, Any], target: str, wl_key: str, name: str) -> Any:
    return results.get(target, {}).get("workloads", {}).get(wl_key, {}).get(name)


def inproc_key(wl_key: str) -> str:
    """The in-process workload shown beside an HTTP one: same operation, one thread."""
    return wl_key.rsplit("_c", 1)[0] + "_c1"


def table_rows(results: dict[str, Any], plan: list[KmsWorkload]) -> Iterator[list[str]]:
    for wl in plan:
        for label, key, spec in METRICS:
            ours, moto = (metric(results, t, wl.key, key) for t in HTTP_TARGETS)
            local = metric(results, "inproc", inproc_key(wl.key), key)
            if wl.concurrency != 1 or key == "client_cpu_ms_per_op":
                local = None
            if key == "errors" and not (ours or moto or local):
                continue
            r = ratio(ours, moto) if key != "errors" else None
            cells = [fmt(ours, spec), fmt(moto, spec), fmt(r, ".2f"), fmt(local, spec)]
            yield [wl.label, label, *cells]
    for label, key in (("idle RSS MiB", "idle_rss_mib"), ("peak RSS MiB", "peak_rss_mib")):
        ours, moto = (results.get(t, {}).get(key) for t in HTTP_TARGETS)
        yield [
            "overall",
            label,
            fmt(ours, ".1f"),
            fmt(moto, ".1f"),
            fmt(ratio(ours, moto), ".2f"),
            "-",
        ]


def print_table(results: dict[str, Any], plan: list[KmsWorkload]) -> None:
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
    truncated = [
        f"{t} {res['label']}"
        for t in TARGETS
        for res in results.get(t, {}).get("workloads", {}).values()
        if res["truncated"]
    ]
    if truncated:
        print(f"TRUNCATED by the time budget (fewer ops than planned): {', '.join(truncated)}")
    print(
        "(in-process = our KmsService called directly on one thread, no HTTP, no boto3; shown "
        "beside c1;\n its server CPU is this process's CPU time per op)"
    )


def compute_ratios(
    results: dict[str, Any], plan: list[KmsWorkload]
) -> dict[str, dict[str, float | None]]:
    return {
        wl.key: {
            key: ratio(metric(results, "ours", wl.key, key), metric(results, "moto", wl.key, key))
            for _, key, _ in RATIO_METRICS
        }
        for wl in plan
    }


def print_ratios(
    results: dict[str, Any], plan: list[KmsWorkload], ratios: dict[str, dict[str, float | None]]
) -> None:
    print(
        "\nRATIOS ours/moto (ops/s: above 1 = ours faster; p50, p99, CPU/op: below 1 = ours "
        "cheaper)"
    )
    if not any(v is not None for r in ratios.values() for v in r.values()):
        print("  - (needs figures from both ours and moto)")
    for wl in plan:
        r = ratios[wl.key]
        if all(v is None for v in r.values()):
            continue
        efficiency = ratio(1.0, r["server_cpu_ms_per_op"])
        print(
            f"  {wl.op:<15} c{wl.concurrency}: ops/s {fmt(r['ops_per_s'], '.2f')}x | "
            f"p50 {fmt(r['p50_ms'], '.2f')}x | p99 {fmt(r['p99_ms'], '.2f')}x | "
            f"server CPU/op {fmt(r['server_cpu_ms_per_op'], '.2f')}x "
            f"(= {fmt(efficiency, '.2f')}x moto's ops per server CPU-second)"
        )
    for short, op in OPS:
        local = metric(results, "inproc", f"{short}_c1", "server_cpu_ms_per_op")
        rate = metric(results, "inproc", f"{short}_c1", "ops_per_s")
        over_http = metric(results, "ours", f"{short}_c1", "server_cpu_ms_per_op")
        if local is None:
            continue
        print(
            f"  in-process {op:<15}: {fmt(rate, '.0f')} ops/s, {local:.3f} ms CPU/op on one "
            f"thread; over HTTP our server spends {fmt(over_http, '.3f')} ms CPU/op "
            f"({fmt(ratio(over_http, local), '.1f')}x)"
        )


# --------------------------------------------------------------------------------------------
# Main
# --------------------------------------------------------------------------------------------


def load() -> dict[str, Any]:
    one, five, fifteen = os.getloadavg()
    return {"loadavg_1m": one, "loadavg_5m": five, "loadavg_15m": fifteen}


def run(args: argparse.Namespace, workdir: Path, results: dict[str, Any]) -> list[str]:
    names = [t for t in TARGETS if not args.only or t in args.only]
    if "moto" in names:
        ensure_moto_venv()
    for name in names:
        results[name] = {}
        run_target(name, args, workdir, results[name])
    return names


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    isolate_client_env()
    install_signal_handlers()
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
    workdir = Path(tempfile.mkdtemp(prefix="objstore-kms-bench-", dir="/tmp"))
    plan = build_plan(args.count, args.concurrency)
    results: dict[str, Any] = {
        **new_results(args, stamp),
        "plan": [asdict(w) for w in plan],
        "inproc_plan": [asdict(w) for w in build_plan(args.inproc_count, [1])],
        "load_start": load(),
    }
    print(
        f"load average at start: {results['load_start']['loadavg_1m']:.2f} "
        f"(1 min) on {os.cpu_count()} CPUs",
        flush=True,
    )
    names = list(TARGETS)

    def body() -> None:
        names[:] = run(args, workdir, results)

    code = run_interruptible(body, results, workdir, args.keep_temp)
    results["load_end"] = load()
    print_table(results, plan)
    results["ratios_ours_over_moto"] = compute_ratios(results, plan)
    print_ratios(results, plan, results["ratios_ours_over_moto"])
    path = write_json(results, args.out or RESULTS_DIR / f"kms-{stamp}.json", stamp)
    print(
        f"\nload average {results['load_start']['loadavg_1m']:.2f} at start, "
        f"{results['load_end']['loadavg_1m']:.2f} at end (1 min, {os.cpu_count()} CPUs); "
        f"elapsed {results['elapsed_s']:.1f}s; results: {path}"
    )
    if any("error" in results.get(n, {}) for n in names):
        code = code or 1
    return code


if __name__ == "__main__":
    sys.exit(main())
