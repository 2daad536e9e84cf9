"""Benchmarks of the business system; appends a section to BENCHMARKS.md.

- seeding and profile recompute for 10k and 100k customers (batch recompute vs the per-customer
  path as baseline, extrapolated from a sample)
- recommendation latency p50/p95/p99 (baseline: a plain customer lookup)
- HTTP API latency under concurrent load (baseline: the same calls in process)
- precision@3 of a back-test against the popularity baseline

Seeded databases are kept in var/bench/ and reused (the generator is deterministic).
    .venv/bin/python bench/bench_business.py [--small 10000] [--large 100000] [--requests 2000] [--concurrency 16]
"""
from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import random
import shlex
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from machine_info import describe  # noqa: E402  (bench/ is on sys.path when run as a script)
from percentiles import pct  # noqa: E402

from business import db, seed  # noqa: E402
from business.profiles import compute_one  # noqa: E402
from business.report import backtest  # noqa: E402
from business.sql_adapter import SqlBusiness  # noqa: E402

TODAY = dt.date(2026, 11, 24)
NOW = dt.datetime(2026, 11, 24, 10, 30)




def ms(values: list[float]) -> str:
    return f"p50 {pct(values, 50) * 1000:.2f} ms, p95 {pct(values, 95) * 1000:.2f} ms, p99 {pct(values, 99) * 1000:.2f} ms"


def open_db(n: int, out: list[str]) -> SqlBusiness:
    path = ROOT / "var" / "bench" / f"business-{n}.sqlite"
    fresh = not path.exists()
    biz = SqlBusiness(f"sqlite:///{path}", clock=lambda: NOW)
    db.upgrade(biz.engine)
    if fresh or db.is_empty(biz.engine):
        stats = seed.seed(biz.engine, n, today=TODAY)
        rows = sum(stats.rows.values())
        out.append(f"| seed {n:,} customers (24 months) | {stats.seconds:.1f} s | {rows:,} rows, "
                   f"{rows / stats.seconds:,.0f} rows/s |")
    else:
        out.append(f"| seed {n:,} customers | reused var/bench/{path.name} | |")
    return biz


def bench_profiles(biz: SqlBusiness, n: int, out: list[str]) -> None:
    stats = biz.recompute_profiles()
    sample = 200
    with biz.sessions() as s:
        ids = [f"C{i:06d}" for i in random.Random(1).sample(range(1, n + 1), sample)]
        t0 = time.perf_counter()
        for cid in ids:
            compute_one(s, cid, NOW, store=False)
        per = (time.perf_counter() - t0) / sample
    out.append(f"| profile recompute, {n:,} customers (batch) | {stats.seconds:.1f} s | "
               f"{n / stats.seconds:,.0f} customers/s; types {stats.by_type}; {stats.rules} derived rules |")
    out.append(f"| baseline: one customer at a time ({sample} sampled, extrapolated) | {per * n:.1f} s | "
               f"{per * 1000:.1f} ms per customer; batch is {per * n / stats.seconds:.1f}x faster |")


def bench_latency(biz: SqlBusiness, n: int, out: list[str], calls: int = 1000) -> None:
    rng = random.Random(2)
    ids = [f"C{rng.randint(1, n):06d}" for _ in range(calls)]
    phones = [seed.generated_phone(rng.randint(4, n)) for _ in range(calls)]
    rec, look, arr = [], [], []
    for cid, phone in zip(ids, phones):
        t0 = time.perf_counter()
        biz.recommendations(cid, k=3)
        rec.append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        biz.find_customer(phone=phone)
        look.append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        biz.arrears("3100000001")
        arr.append(time.perf_counter() - t0)
    out.append(f"| recommendations(k=3), logged, {calls} calls, {n:,} customers | {ms(rec)} | in process, SQLite file |")
    out.append(f"| baseline: find_customer(phone) | {ms(look)} | |")
    out.append(f"| arrears(account) | {ms(arr)} | |")


def bench_api(biz: SqlBusiness, n: int, requests: int, concurrency: int, out: list[str]) -> None:
    """The API in its own process (`hallbot business serve`), loaded from this one."""
    import socket
    import subprocess

    import httpx
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    server = subprocess.Popen([sys.executable, "-m", "bot.cli", "business", "serve", "--db", str(biz.engine.url),
                               "--port", str(port), "--token", "bench", "--profile-interval", "0"], cwd=ROOT,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        base = f"http://127.0.0.1:{port}"
        for _ in range(300):
            try:
                if httpx.get(base + "/health", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.1)
        rng = random.Random(3)
        calls = []
        for _ in range(requests):
            i = rng.randint(4, n)
            calls.append(rng.choice([
                ("/customers", {"phone": seed.generated_phone(i)}), (f"/customers/C{i:06d}/accounts", {}),
                (f"/accounts/{seed.generated_account(i)}/bills", {"months": 3}),
                (f"/accounts/{seed.generated_account(i)}/arrears", {}),
                (f"/customers/C{i:06d}/recommendations", {"k": 3})]))

        async def load():
            lat, errors = [], 0
            sem = asyncio.Semaphore(concurrency)
            async with httpx.AsyncClient(base_url=base, headers={"Authorization": "Bearer bench"}, timeout=30,
                                         limits=httpx.Limits(max_connections=concurrency)) as client:
                async def one(path, params):
                    nonlocal errors
                    async with sem:
                        t0 = time.perf_counter()
                        r = await client.get(path, params=params)
                        lat.append(time.perf_counter() - t0)
                        errors += r.status_code >= 500
                t0 = time.perf_counter()
                await asyncio.gather(*(one(p, q) for p, q in calls))
                return lat, errors, time.perf_counter() - t0

        async def sequential():
            lat = []
            async with httpx.AsyncClient(base_url=base, headers={"Authorization": "Bearer bench"}, timeout=30) as client:
                for path, params in calls[:300]:
                    t0 = time.perf_counter()
                    await client.get(path, params=params)
                    lat.append(time.perf_counter() - t0)
            return lat
        one_by_one = asyncio.run(sequential())
        lat, errors, wall = asyncio.run(load())
    finally:
        server.terminate()
        server.wait(10)
    out.append(f"| HTTP API, {requests} mixed GETs, {concurrency} concurrent | {ms(lat)} | "
               f"{requests / wall:,.0f} req/s, {errors} server errors; server in its own process |")
    out.append(f"| baseline: same API, one request at a time | {ms(one_by_one)} | |")


def bench_backtest(biz: SqlBusiness, out: list[str], sample: int = 1000) -> None:
    t0 = time.perf_counter()
    r = backtest(biz.sessions, biz.writer, "2026-10", k=3, sample=sample)
    out.append(f"| back-test precision@3, 2026-10, {r.requests} customers | {r.precision:.3f} | "
               f"popularity baseline {r.baseline_precision:.3f}; {time.perf_counter() - t0:.1f} s |")




def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--small", type=int, default=10_000)
    ap.add_argument("--large", type=int, default=100_000, help="0 to skip")
    ap.add_argument("--requests", type=int, default=2000)
    ap.add_argument("--concurrency", type=int, default=16)
    ap.add_argument("--no-write", action="store_true", help="print only, do not append to BENCHMARKS.md")
    args = ap.parse_args()
    t_all = time.perf_counter()
    out = ["| what | result | notes |", "|---|---|---|"]
    small = open_db(args.small, out)
    bench_profiles(small, args.small, out)
    bench_latency(small, args.small, out)
    bench_api(small, args.small, args.requests, args.concurrency, out)
    bench_backtest(small, out)
    if args.large:
        large = open_db(args.large, out)
        bench_profiles(large, args.large, out)
        bench_latency(large, args.large, out, calls=500)
    cmd = "python bench/bench_business.py " + " ".join(shlex.quote(a) for a in sys.argv[1:])
    section = "\n".join([
        f"\n## business: profiles, recommendations, API ({dt.datetime.now():%Y-%m-%d %H:%M})", "",
        f"Machine: {describe()}. Command: `{cmd.strip()}`. SQLite file databases (WAL). "
        f"Total {time.perf_counter() - t_all:.0f} s.", "", *out, ""])
    print(section)
    if not args.no_write:
        with open(ROOT / "BENCHMARKS.md", "a", encoding="utf-8") as f:
            f.write(section)
    return 0


if __name__ == "__main__":
    sys.exit(main())
