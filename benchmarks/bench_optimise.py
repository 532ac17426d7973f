"""Benchmark: the ``optimise`` strategy's solve time and gap at 6,500, 100,000 and 1,000,000 members.

For each size: write a roster from the population generator calibrated like seed 004 (see
``bench_build.write_roster``), read its members table with pyarrow (the yardstick: times are also
given as ratios to it), build the Structure, and propose with ``optimise`` (defaults, the party
rule pack; the parts solved in a pool over every core, ``workers: 0``). Records the time to build
the problem and solve it, the solver's status, gap and bound, the number of independent parts and
the largest, the processes, the groups and candidates, members moved, the wall and CPU seconds
(this process and its solver processes; the load average beside them), and (``--check``) the error
findings after applying the plan.

Usage: ``python benchmarks/bench_optimise.py [--members 6500 100000 1000000] [--time-limit 20]
[--check]``. Prints a table and writes ``benchmarks/results/optimise.json`` (one row per size,
rows of sizes not run are kept from the previous file).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

from bench_build import _all_text, peak_rss_mb, write_roster  # noqa: E402


def _cpu_s() -> float:
    """CPU seconds of this process and of its finished solver processes (on a shared machine the
    wall time mostly says how busy the machine was)."""
    me, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return me.ru_utime + me.ru_stime + children.ru_utime + children.ru_stime


def run_one(n_members: int, time_limit: float, check: bool) -> dict:
    """One size: roster, build, propose (and check); the measured row."""
    import pyarrow.csv as pacsv

    from orgmodel import PluginHost, apply, build_baseline, check_rules, domain_rule_book, load_scenario
    from orgmodel_optimise.solve import pool_size
    from orgmodel_optimise.strategy import Optimise

    host = PluginHost()
    host.domain_pack("party")
    with tempfile.TemporaryDirectory() as tmp:
        scenario = write_roster(Path(tmp), n_members)
        members_csv = Path(tmp) / "members.csv"
        t0 = time.perf_counter()
        pacsv.read_csv(members_csv, convert_options=pacsv.ConvertOptions(column_types=_all_text(members_csv)))
        read_s = time.perf_counter() - t0
        t0 = time.perf_counter()
        structure = build_baseline(load_scenario(scenario), host)
        build_s = time.perf_counter() - t0
    book = domain_rule_book(structure.kinds.name)
    strategy = Optimise()
    params = {"time_limit": time_limit}
    ctx = strategy.context(structure, seed=4, variant="bench", raw_params=params, rules=book)
    cpu0 = _cpu_s()
    t0 = time.perf_counter()
    plan = strategy.propose(ctx, strategy.parse_params(params))
    propose_s = time.perf_counter() - t0
    propose_cpu_s = _cpu_s() - cpu0
    solver = plan.meta["solver"]
    row = {
        "members": structure.n_members,
        "units": structure.n_units,
        "read_members_csv_s": round(read_s, 3),
        "build_structure_s": round(build_s, 1),
        "propose_s": round(propose_s, 1),
        "propose_cpu_s": round(propose_cpu_s, 1),
        "propose_per_read": round(propose_s / read_s),
        "load_average_1min": round(os.getloadavg()[0], 1),
        "status": solver["status"],
        "gap": solver["gap"],
        "objective": solver["objective"],
        "bound": solver["bound"],
        "decomposed": solver["decomposed"],
        "parts": solver["parts"],
        "largest_part_members": solver["largest_part_members"],
        "processes": pool_size(0, structure.n_members, solver["parts"]),
        "cores": len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count(),
        "groups": solver["groups"],
        "candidates": solver["candidates"],
        "members_moved": int(solver["terms"]["moved"]["value"]),
        "time_limit_s": time_limit,
    }
    print("  ".join(f"{k}={v}" for k, v in row.items()), flush=True)
    if check:
        t0 = time.perf_counter()
        after = apply(structure, plan, variant="bench", step=0)
        findings = check_rules(after, book.packs)
        row["error_findings_after"] = sum(1 for f in findings if f.status == "violated" and f.severity == "error")
        row["apply_and_check_s"] = round(time.perf_counter() - t0, 1)
    row["peak_rss_mb"] = round(peak_rss_mb())
    row["machine"] = f"{platform.machine()}, {os.cpu_count()} cores, Python {sys.version.split()[0]}"
    return row


def main(argv: list[str] | None = None) -> list[dict]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--members", type=int, nargs="+", default=[6_500, 100_000, 1_000_000])
    parser.add_argument("--time-limit", type=float, default=20.0, help="seconds per part and phase")
    parser.add_argument("--check", action="store_true", help="apply the plan and count error findings")
    args = parser.parse_args(argv)
    out = Path(__file__).parent / "results"
    out.mkdir(exist_ok=True)
    path = out / "optimise.json"
    rows = {r["members"]: r for r in json.loads(path.read_text(encoding="utf-8"))} if path.exists() else {}
    for n in args.members:
        row = run_one(n, args.time_limit, args.check)
        rows[row["members"]] = row
        if args.check:
            print(f"members={row['members']}  error_findings_after={row['error_findings_after']}", flush=True)
        path.write_text(json.dumps([rows[k] for k in sorted(rows)], indent=2) + "\n", encoding="utf-8")
    return [rows[k] for k in sorted(rows)]


if __name__ == "__main__":
    main()
