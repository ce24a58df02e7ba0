#!/usr/bin/env python3
"""Encryption benchmark: PUT and GET MB/s per server-side encryption mode (none, AES256,
aws:kms, aws:kms:dsse, SSE-C) at 1 MiB, 64 MiB and 1 GiB, beside our plaintext path and moto.

Run it with the project's venv:

    .venv/bin/python bench/sse_bench.py              # full: a few minutes here
    .venv/bin/python bench/sse_bench.py --quick      # 256 MiB instead of 1 GiB, one round
    .venv/bin/python bench/sse_bench.py --no-huge --only ours
    .venv/bin/python bench/bench.py --sse-matrix ... # the same

Our server runs with `--default-encryption none`, so mode "none" is the plaintext path every
other mode is compared with. Modes take turns within each round (the order rotates from
round to round), so a change in machine load hits every mode alike; each figure is the
median over rounds. moto stores plaintext whatever it is asked, so it is run once, without
SSE parameters, as the peer. The table gives MB/s, the throughput lost against our
plaintext path (the target: at most 25%), server CPU seconds per GB (the steadier figure
on a shared machine) and peak RSS; the JSON goes to bench/results/sse-<timestamp>.json.
"""

from __future__ import annotations

import sys
from pathlib import Path

# Run as a script, sys.path[0] is bench/, where bench.py would shadow the bench package.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import argparse
import os
import statistics
import tempfile
import time
import uuid
from datetime import datetime
from typing import Any

from bench.bench import (
    DEFAULT_OURS_BIN,
    MIB,
    RESULTS_DIR,
    STOP,
    Bodies,
    Meter,
    OpLog,
    RssSampler,
    S3Client,
    Server,
    Workload,
    cleanup_objects,
    do_get,
    do_put,
    fmt,
    fmt_size,
    format_row,
    install_signal_handlers,
    isolate_client_env,
    log_tail,
    make_client,
    new_results,
    run_concurrent,
    run_interruptible,
    sse_params,
    start_moto,
    start_objstore,
    stop_server,
    summarize,
    timed,
    write_json,
)

MODES = ("none", "AES256", "aws:kms", "aws:kms:dsse", "SSE-C")
BUDGET = 0.25  # encryption may cost at most 25% of our plaintext throughput
PRESETS: dict[str, dict[str, int]] = {
    "full": {"rounds": 3, "medium_count": 16, "large_count": 2, "huge_mib": 1024},
    "quick": {"rounds": 1, "medium_count": 8, "large_count": 1, "huge_mib": 256},
}


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(
        description="PUT/GET MB/s per encryption mode beside our plaintext path and moto.",
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    p.add_argument("--quick", action="store_true", help="one round, 256 MiB instead of 1 GiB")
    p.add_argument("--only", choices=["ours", "moto"], help="bench one server only")
    p.add_argument("--modes", nargs="+", choices=MODES, default=list(MODES),
                   help="encryption modes ('none' is the plaintext baseline)")
    p.add_argument("--rounds", type=int, help="rounds at 1 MiB and 64 MiB (full 3)")
    p.add_argument("--medium-count", type=int, help="1 MiB objects per PUT/GET (full 16)")
    p.add_argument("--medium-concurrency", type=int, default=4)
    p.add_argument("--large-count", type=int, help="64 MiB objects per PUT/GET (full 2)")
    p.add_argument("--huge-mib", type=int, help="huge object size in MiB (full 1024)")
    p.add_argument("--huge-rounds", type=int, default=1, help="rounds at the huge size")
    p.add_argument("--no-huge", action="store_true", help="skip the huge (1 GiB) size")
    p.add_argument("--rss-limit-mib", type=float, default=150.0,
                   help="flat memory: our peak RSS while moving the huge object stays below")
    p.add_argument("--ours-bin", default=DEFAULT_OURS_BIN, help="objstore binary (repo-relative)")
    p.add_argument("--access-key", default="benchaccesskey")
    p.add_argument("--secret-key", default="benchsecretkey0123456789")
    p.add_argument("--op-timeout-s", type=int, default=300, help="socket read timeout per request")
    p.add_argument("--out", type=Path, help="JSON output (default bench/results/sse-<ts>.json)")
    p.add_argument("--keep-temp", action="store_true", help="keep the temp dir (logs, data)")
    args = p.parse_args(argv)
    for key, value in PRESETS["quick" if args.quick else "full"].items():
        if getattr(args, key) is None:
            setattr(args, key, value)
    if "none" not in args.modes:
        args.modes = ["none", *args.modes]  # the baseline every mode is compared with
    return args


# --------------------------------------------------------------------------------------------
# Plan: (size, count, concurrency, rounds) classes; every mode PUTs then GETs each class
# --------------------------------------------------------------------------------------------


def size_classes(args: argparse.Namespace) -> list[tuple[int, int, int, int]]:
    classes = [(MIB, args.medium_count, args.medium_concurrency, args.rounds),
               (64 * MIB, args.large_count, 1, args.rounds)]
    if not args.no_huge:
        classes.append((args.huge_mib * MIB, 1, 1, args.huge_rounds))
    return classes


def load() -> float:
    return os.getloadavg()[0]


def run_pair(client: S3Client, bucket: str, bodies: Bodies, meter: Meter, mode: str,
             size: int, count: int, conc: int, rnd: int) -> dict[str, dict[str, Any]]:
    """PUT `count` objects of `size` in `mode`, then GET them back, then delete them."""
    write, read = sse_params(mode)
    prefix = f"{mode.replace(':', '-')}/{fmt_size(size)}/r{rnd}/"
    body = bodies.for_size(size)
    out: dict[str, dict[str, Any]] = {}
    for kind in ("put", "get"):
        wl = Workload(f"{kind}_{fmt_size(size)}", f"{kind.upper()} {fmt_size(size)} {mode}",
                      kind, size, count, conc, prefix, cleanup=kind == "get")
        log = OpLog()

        def task(i: int, kind: str = kind, log: OpLog = log) -> None:
            key = f"{prefix}{i}"
            if kind == "put":
                timed(log, "PUT", lambda: do_put(client, bucket, key, body, write))
            else:
                timed(log, "GET", lambda: do_get(client, bucket, key, size, read))

        load_before = load()
        meter.begin()
        wall = run_concurrent(task, count, conc, time.monotonic() + 3600, log)
        usage = meter.end()
        if wl.cleanup:
            cleanup_objects(client, bucket, wl)
        res = summarize(wl, log, wall, usage)
        moved = sum(s.nbytes for s in log.samples)
        res["server_cpu_s_per_gb"] = (usage.server_cpu_s / (moved / 1e9)
                                      if usage.server_cpu_s is not None and moved else None)
        res["load_1m"] = round((load_before + load()) / 2, 2)
        res["mode"], res["round"] = mode, rnd
        out[kind] = res
        print(f"  {wl.label:<24} r{rnd} {fmt(res['mb_per_s'], '8.1f')} MB/s  srv "
              f"{fmt(res['server_cpu_s_per_gb'], '5.2f')} cpu-s/GB  RSS "
              f"{fmt(res['rss_peak_mib'], '6.1f')} MiB  load {res['load_1m']:.2f}"
              + (f"  ERRORS {res['errors']}: {res['first_error']}" if res["errors"] else ""),
              flush=True)
        if kind == "put" and res["errors"]:
            break  # nothing to read back
    return out


def bench_target(server: Server, modes: list[str], args: argparse.Namespace, bodies: Bodies,
                 out: dict[str, Any]) -> None:
    client = make_client(server.endpoint, args)
    bucket = f"sse-bench-{uuid.uuid4().hex[:12]}"
    sampler = RssSampler(server.pid) if server.pid else None
    meter = Meter(sampler)
    runs: list[dict[str, Any]] = []
    out.update(endpoint=server.endpoint, pid=server.pid, runs=runs)
    if sampler:
        sampler.start()
        out["idle_rss_mib"] = sampler.sample()
    try:
        client.create_bucket(Bucket=bucket)
        for size, count, conc, rounds in size_classes(args):
            for rnd in range(rounds):
                turn = modes[rnd % len(modes):] + modes[:rnd % len(modes)]
                for mode in turn:
                    if STOP.is_set():
                        return
                    pair = run_pair(client, bucket, bodies, meter, mode, size, count, conc, rnd)
                    runs.extend(pair.values())
    finally:
        if sampler:
            sampler.stop()
            out["peak_rss_mib"] = sampler.overall_peak


def run_target(name: str, args: argparse.Namespace, workdir: Path, bodies: Bodies,
               out: dict[str, Any]) -> None:
    print(f"\n== {name}: starting", flush=True)
    try:
        if name == "moto":
            server = start_moto(workdir)
        else:
            server = start_objstore(workdir, args.ours_bin, args.access_key, args.secret_key,
                                    ("--default-encryption", "none"))
    except (OSError, RuntimeError) as exc:
        print(f"== {name}: could not start: {exc}", flush=True)
        out["error"] = str(exc)
        return
    print(f"== {name}: {server.endpoint} (pid {server.pid})", flush=True)
    try:
        bench_target(server, args.modes if name == "ours" else ["none"], args, bodies, out)
    except Exception as exc:
        print(f"== {name}: benchmark failed: {type(exc).__name__}: {exc}", flush=True)
        tail = log_tail(server)
        if tail:
            print(f"   last log lines:\n{tail}", flush=True)
        out["error"] = f"{type(exc).__name__}: {exc}"
    finally:
        stop_server(server)


# --------------------------------------------------------------------------------------------
# Summary, table, verdict
# --------------------------------------------------------------------------------------------


def median(values: list[float | None]) -> float | None:
    known = [v for v in values if v is not None]
    return statistics.median(known) if known else None


def summarize_runs(runs: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """(mode, kind, size) -> medians over rounds, the peak RSS, load and error count."""
    groups: dict[str, list[dict[str, Any]]] = {}
    for r in runs:
        groups.setdefault(f"{r['mode']}|{r['kind']}|{r['object_size']}", []).append(r)
    return {
        key: {
            "mb_per_s": median([r["mb_per_s"] for r in rs]),
            "mb_per_s_all": [r["mb_per_s"] for r in rs],
            "server_cpu_s_per_gb": median([r["server_cpu_s_per_gb"] for r in rs]),
            "rss_peak_mib": max((r["rss_peak_mib"] for r in rs if r["rss_peak_mib"]),
                                default=None),
            "load_1m": median([r["load_1m"] for r in rs]),
            "errors": sum(r["errors"] for r in rs),
            "rounds": len(rs),
        }
        for key, rs in groups.items()
    }


def build_summary(results: dict[str, Any], args: argparse.Namespace) -> list[dict[str, Any]]:
    ours = summarize_runs(results.get("ours", {}).get("runs", []))
    moto = summarize_runs(results.get("moto", {}).get("runs", []))
    rows = []
    for size, *_ in size_classes(args):
        for kind in ("put", "get"):
            plain = ours.get(f"none|{kind}|{size}", {})
            peer = moto.get(f"none|{kind}|{size}", {})
            for mode in args.modes:
                got = ours.get(f"{mode}|{kind}|{size}", {})
                mbs, base = got.get("mb_per_s"), plain.get("mb_per_s")
                cpu, base_cpu = got.get("server_cpu_s_per_gb"), plain.get("server_cpu_s_per_gb")
                loss = 1 - mbs / base if mbs and base else None
                rows.append({
                    "size": size, "kind": kind, "mode": mode, "mb_per_s": mbs,
                    "mb_per_s_all": got.get("mb_per_s_all"),
                    "plain_mb_per_s": base, "throughput_loss": loss,
                    "server_cpu_s_per_gb": cpu,
                    "cpu_vs_plain": cpu / base_cpu - 1 if cpu and base_cpu else None,
                    "rss_peak_mib": got.get("rss_peak_mib"), "load_1m": got.get("load_1m"),
                    "errors": got.get("errors"),
                    "moto_mb_per_s": peer.get("mb_per_s"),
                    "ours_over_moto": mbs / peer["mb_per_s"] if mbs and peer.get("mb_per_s")
                    else None,
                    "within_budget": None if loss is None or mode == "none" else loss <= BUDGET,
                })
    return rows


HEADER = ["size", "op", "mode", "MB/s", "vs plain", "srv cpu-s/GB", "cpu vs plain",
          "peak RSS MiB", "moto MB/s", "ours/moto", "load"]


def pct(v: float | None) -> str:
    return "-" if v is None else f"{-v * 100:+.0f}%"


def table_rows(rows: list[dict[str, Any]]) -> list[list[str]]:
    out = []
    for r in rows:
        out.append([
            fmt_size(r["size"]), r["kind"].upper(), r["mode"], fmt(r["mb_per_s"], ".0f"),
            "baseline" if r["mode"] == "none" else pct(r["throughput_loss"]),
            fmt(r["server_cpu_s_per_gb"], ".2f"),
            "baseline" if r["mode"] == "none" else
            ("-" if r["cpu_vs_plain"] is None else f"{r['cpu_vs_plain'] * 100:+.0f}%"),
            fmt(r["rss_peak_mib"], ".0f"),
            fmt(r["moto_mb_per_s"], ".0f") if r["mode"] == "none" else "",
            fmt(r["ours_over_moto"], ".2f"), fmt(r["load_1m"], ".1f"),
        ])
    return out


def print_table(rows: list[dict[str, Any]]) -> None:
    cells = table_rows(rows)
    widths = [max(len(c[i]) for c in [HEADER, *cells]) for i in range(len(HEADER))]
    rule = "-+-".join("-" * w for w in widths)
    print()
    print(format_row(HEADER, widths))
    prev = None
    for c in cells:
        if (c[0], c[1]) != prev:
            print(rule)
        prev = (c[0], c[1])
        print(format_row(c, widths))
    print("(vs plain: throughput against our plaintext path, median over rounds; cpu: server "
          "CPU seconds per GB moved; moto stores plaintext whatever it is asked)")


def verdicts(rows: list[dict[str, Any]], results: dict[str, Any],
             args: argparse.Namespace) -> list[dict[str, Any]]:
    checked = [r for r in rows if r["mode"] != "none"]
    failed = [r for r in checked if r["within_budget"] is False]
    unknown = [r for r in checked if r["within_budget"] is None]
    items = [{
        "target": f"encryption costs <= {BUDGET:.0%} of plaintext throughput",
        "status": "FAIL" if failed else ("N/A" if unknown and not checked else "PASS"),
        "detail": "; ".join(f"{r['mode']} {r['kind'].upper()} {fmt_size(r['size'])} "
                            f"{pct(r['throughput_loss'])}" for r in failed) or "every mode, "
                  "size and direction within budget" + (f" ({len(unknown)} not measured)"
                                                        if unknown else ""),
    }]
    huge = [r for r in rows if not args.no_huge and r["size"] == args.huge_mib * MIB]
    peaks = [r["rss_peak_mib"] for r in huge if r["rss_peak_mib"] is not None]
    items.append({
        "target": f"flat memory (ours: peak RSS at {fmt_size(args.huge_mib * MIB)} "
                  f"< {args.rss_limit_mib:g} MiB)",
        "status": "N/A" if not peaks else ("PASS" if max(peaks) < args.rss_limit_mib
                                           else "FAIL"),
        "detail": "; ".join(f"{r['mode']} {r['kind'].upper()} {fmt(r['rss_peak_mib'], '.0f')}"
                            for r in huge) or "huge size skipped",
    })
    return items


def print_verdict(items: list[dict[str, Any]]) -> None:
    print()
    print("VERDICT: " + " | ".join(f"{v['target']}: {v['status']}" for v in items))
    for v in items:
        print(f"  - {v['target']}: {v['status']} ({v['detail']})")


# --------------------------------------------------------------------------------------------
# Main
# --------------------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    isolate_client_env()
    install_signal_handlers()
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
    workdir = Path(tempfile.mkdtemp(prefix="objstore-sse-bench-", dir="/tmp"))
    names = [args.only] if args.only else ["ours", "moto"]
    results = {**new_results(args, stamp), "load_start": os.getloadavg()}
    print(f"load average at start: {results['load_start'][0]:.2f} (1 min) on "
          f"{os.cpu_count()} CPUs", flush=True)

    def body() -> None:
        bodies = Bodies(workdir)
        for name in names:
            results[name] = {}
            run_target(name, args, workdir, bodies, results[name])

    code = run_interruptible(body, results, workdir, args.keep_temp)
    results["load_end"] = os.getloadavg()
    rows = build_summary(results, args)
    results["summary"] = rows
    print_table(rows)
    results["verdict"] = verdicts(rows, results, args)
    print_verdict(results["verdict"])
    path = write_json(results, args.out or RESULTS_DIR / f"sse-{stamp}.json", stamp)
    print(f"\nload average {results['load_start'][0]:.2f} at start, "
          f"{results['load_end'][0]:.2f} at end (1 min, {os.cpu_count()} CPUs); elapsed "
          f"{results['elapsed_s']:.1f}s; results: {path}")
    if any("error" in results.get(n, {}) for n in names):
        code = code or 1
    return code


if __name__ == "__main__":
    sys.exit(main())
