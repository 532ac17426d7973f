"""Benchmark: the ``optimise`` strategy's solve time and gap at 6,500, 100,000 and 1,000,000 members.

For each size: write a roster from the population generator calibrated like seed 004 (see
``bench_build.write_roster``), build the Structure, and propose with ``optimise`` (defaults, the
party rule pack). Records the time to build the problem and solve it, the solver's status, gap
and bound, the number of independent parts and the largest, the groups and candidates, members
moved, and (``--check``) the error findings after applying the plan.

Usage: ``python benchmarks/bench_optimise.py [--members 6500 100000 1000000] [--time-limit 20]
[--check]``. Prints a table and writes ``benchmarks/results/optimise.json`` (one row per size,
rows of sizes not run are kept from the previous file).
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

from bench_build import peak_rss_mb, write_roster  # noqa: E402


def run_one(n_members: int, time_limit: float, check: bool) -> dict:
    """One size: roster, build, propose (and check); the measured row."""
    from orgmodel import PluginHost, apply, build_baseline, check_rules, domain_rule_book, load_scenario
    from orgmodel_optimise.strategy import Optimise

    host = PluginHost()
    with tempfile.TemporaryDirectory() as tmp:
        scenario = write_roster(Path(tmp), n_members)
        structure = build_baseline(load_scenario(scenario), host)
    book = domain_rule_book(structure.kinds.name)
    strategy = Optimise()
    params = {"time_limit": time_limit}
    ctx = strategy.context(structure, seed=4, variant="bench", raw_params=params, rules=book)
    t0 = time.perf_counter()
    plan = strategy.propose(ctx, strategy.parse_params(params))
    propose_s = time.perf_counter() - t0
    solver = plan.meta["solver"]
    row = {
        "members": structure.n_members,
        "units": structure.n_units,
        "propose_s": round(propose_s, 1),
        "status": solver["status"],
        "gap": solver["gap"],
        "objective": solver["objective"],
        "bound": solver["bound"],
        "decomposed": solver["decomposed"],
        "parts": solver["parts"],
        "largest_part_members": solver["largest_part_members"],
        "groups": solver["groups"],
        "candidates": solver["candidates"],
        "members_moved": int(solver["terms"]["moved"]["value"]),
        "time_limit_s": time_limit,
    }
    if check:
        after = apply(structure, plan, variant="bench", step=0)
        findings = check_rules(after, book.packs)
        row["error_findings_after"] = sum(1 for f in findings if f.status == "violated" and f.severity == "error")
    row["peak_rss_mb"] = round(peak_rss_mb())
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
        print("  ".join(f"{k}={v}" for k, v in row.items()), flush=True)
        path.write_text(json.dumps([rows[k] for k in sorted(rows)], indent=2) + "\n", encoding="utf-8")
    return [rows[k] for k in sorted(rows)]


if __name__ == "__main__":
    main()
