"""`python -m bench [--quick] [--db sqlite|postgresql] [--seed N] [--no-cache] [NAME ...]`.

Runs the named benchmarks (default: all registered), prints every figure and writes the
results as JSON to `bench/results/<timestamp>.json`. The last line printed is exactly
`targets met: K/N`. Exit code 0 even when a target is missed (this is a report, not a test);
2 on bad usage.
"""

from __future__ import annotations

import argparse
import json
import platform
import resource
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import sqlalchemy

from bench.benchmarks import load_all
from bench.databases import RESULTS_DIR, BenchContext
from bench.runner import REGISTRY, FigureResult, Runner, figure_lines, summary_lines

REPEAT = 21
QUICK_REPEAT = 7
WARMUP = 2


def build_parser() -> argparse.ArgumentParser:
    """Return the command line parser."""
    parser = argparse.ArgumentParser(
        prog="python -m bench",
        description="Run the benchmarks and report each figure against its target.",
    )
    parser.add_argument("--quick", action="store_true",
                        help="smaller data and fewer repetitions (a smoke run)")
    parser.add_argument("--db", choices=["sqlite", "postgresql"], default="sqlite",
                        help="database to benchmark on (postgresql: CRM_BENCH_POSTGRES_URL)")
    parser.add_argument("--seed", type=int, default=2024, help="seed of the generated data")
    parser.add_argument("--no-cache", action="store_true",
                        help="regenerate SQLite data instead of reusing bench/results/cache")
    parser.add_argument("names", nargs="*", metavar="NAME",
                        help="benchmarks to run (default: all registered)")
    return parser


def _max_rss_mib() -> float:
    # ru_maxrss is in KiB on Linux, in bytes on macOS.
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return rss / (1024 * 1024) if sys.platform == "darwin" else rss / 1024


def _cpu_seconds() -> tuple[float, float]:
    """User and system CPU time of this process so far (the machine may be shared, so
    the wall time alone says little)."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime, usage.ru_stime


def write_results(
    results_dir: Path, args: argparse.Namespace, context: BenchContext,
    results: list[FigureResult], seconds: float,
) -> Path:
    """Write the run as JSON to `results_dir/<timestamp>.json` and return the path."""
    results_dir.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    path = results_dir / f"{stamp}.json"
    suffix = 1
    while path.exists():
        path = results_dir / f"{stamp}-{suffix}.json"
        suffix += 1
    document: dict[str, Any] = {
        "started_at": stamp,
        "argv": sys.argv[1:],
        "quick": args.quick,
        "db": args.db,
        "seed": args.seed,
        "python": platform.python_version(),
        "sqlalchemy": sqlalchemy.__version__,
        "platform": platform.platform(),
        "seconds": round(seconds, 3),
        "user_cpu_seconds": round(_cpu_seconds()[0], 3),
        "system_cpu_seconds": round(_cpu_seconds()[1], 3),
        "process_max_rss_mib": round(_max_rss_mib(), 1),
        "datasets": [dataset.as_dict() for dataset in context.datasets],
        "figures": [result.as_dict() for result in results],
        "targets_met": sum(1 for result in results if result.counted and result.met),
        "targets_total": sum(1 for result in results if result.counted),
    }
    path.write_text(json.dumps(document, indent=2, default=str))
    return path


def main(argv: list[str] | None = None) -> int:
    """Run the benchmarks named in `argv`; return the exit code (2 on bad usage)."""
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:
        return int(exc.code or 0)
    load_all()
    names = args.names or sorted(REGISTRY)
    unknown = [name for name in names if name not in REGISTRY]
    if unknown:
        known = ", ".join(sorted(REGISTRY)) or "none"
        print(f"unknown benchmark(s): {', '.join(unknown)} (registered: {known})",
              file=sys.stderr)
        return 2
    runner = Runner(repeat=QUICK_REPEAT if args.quick else REPEAT, warmup=WARMUP)
    context = BenchContext(db_kind=args.db, quick=args.quick, seed=args.seed,
                           use_cache=not args.no_cache)
    print(f"bench: {', '.join(names)} on {args.db}, seed {args.seed}, "
          f"{runner.repeat} interleaved runs after {runner.warmup} warm-up"
          + (" (quick)" if args.quick else ""), flush=True)
    started = time.perf_counter()
    results: list[FigureResult] = []
    earlier: dict[str, FigureResult] = {}
    try:
        for name in names:
            results.extend(runner.run(REGISTRY[name], context, earlier, on_result=_print))
    finally:
        context.close()
    for dataset in context.datasets:
        counts = ", ".join(f"{k} {v:,}" for k, v in dataset.summary.counts.items())
        origin = "reused from cache" if dataset.reused else "generated"
        print(f"data {origin} in {dataset.seconds:.1f} s: {counts}")
    seconds = time.perf_counter() - started
    path = write_results(RESULTS_DIR, args, context, results, seconds)
    print(f"results: {path}")
    user, system = _cpu_seconds()
    print(f"run time: {seconds:.1f} s wall, {user:.1f} s user CPU, {system:.1f} s system CPU")
    print(f"process peak RSS (ru_maxrss): {_max_rss_mib():.0f} MiB")
    for line in summary_lines(results):
        print(line)
    return 0


def _print(result: FigureResult) -> None:
    """Print one figure as soon as it is measured (a full run takes minutes)."""
    print("\n".join(figure_lines(result)), flush=True)


if __name__ == "__main__":
    sys.exit(main())
