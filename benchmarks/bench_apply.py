"""Benchmark: applying a real strategy's plan, against reading the same roster with pyarrow.

For each size, in one process: write a roster with the population generator (as
``bench_build.py`` does), read every table with pyarrow alone (the reference), build the
Structure, let a first-party strategy propose with its defaults (team-branches: secretaries and
committees included), then time, each on its own:

- ``apply``: the whole of :func:`orgmodel.model.apply.apply` (operations, the moves table as one
  scatter, dissolves followed, every invariant checked);
- ``invariants``: :func:`orgmodel.model.invariants.violations` on the result alone;
- ``save``/``load``: the plan written with :meth:`Plan.save` (Parquet moves above 10,000 rows)
  and read back with :meth:`Plan.load`.

Each stage is printed in seconds and as a ratio to the read of the same roster in the same run.

Usage: ``python benchmarks/bench_apply.py [--members 10000 100000 1000000] [--strategy team-branches]
[--params '{}'] [--repeat 1]``. Writes ``benchmarks/results/apply.json``.
"""

from __future__ import annotations

import argparse
import json
import platform
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_build import _all_text, peak_rss_mb, write_roster  # noqa: E402


def _best(fn, repeat: int):  # noqa: ANN001, ANN202
    """(fastest seconds, last result) of ``repeat`` calls of ``fn``."""
    best, result = float("inf"), None
    for _ in range(repeat):
        t0 = time.perf_counter()
        result = fn()
        best = min(best, time.perf_counter() - t0)
    return best, result


def read_every_table(folder: Path) -> None:
    """Read every CSV table of the roster with pyarrow, every column as text: the reference."""
    import pyarrow.csv as pacsv

    for path in sorted(folder.glob("*.csv")):
        pacsv.read_csv(path, convert_options=pacsv.ConvertOptions(column_types=_all_text(path)))


def run_size(members: int, strategy_name: str, params: dict, repeat: int) -> dict:
    from orgmodel.io.loader import build_baseline, load_scenario
    from orgmodel.model.apply import apply
    from orgmodel.model.invariants import violations
    from orgmodel.model.plan import Plan
    from orgmodel.plugin.host import PluginHost

    host = PluginHost()
    host.domain_pack("party")  # load plugins outside the timed part
    strategy = host.strategies().get(strategy_name)
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        scenario_path = write_roster(folder, members)
        read_s, _ = _best(lambda: read_every_table(folder), max(repeat, 3))
        build_s, base = _best(lambda: build_baseline(load_scenario(scenario_path), host), 1)
        parsed = strategy.parse_params(params)

        def propose() -> Plan:
            ctx = strategy.context(base, seed=0, variant="bench", step=0, raw_params=params)
            return strategy.propose(ctx, parsed)

        propose_s, plan = _best(propose, 1)
        apply_s, after = _best(lambda: apply(base, plan, variant="bench", step=0), repeat)
        invariants_s, problems = _best(lambda: violations(after, limit=1, member_ids_known_unique=True), repeat)
        assert not problems, problems
        plan_path = folder / "plan.json"
        save_s, _ = _best(lambda: plan.save(plan_path), 1)
        load_s, again = _best(lambda: Plan.load(plan_path), 1)
        assert again == plan
    counts = plan.counts()
    return {
        "members": members,
        "units": int(base.n_units),
        "operations": sum(v for k, v in counts.items() if k != "move_members"),
        "set_role": counts.get("set_role", 0),
        "dissolve": counts.get("dissolve", 0),
        "moves": len(plan.moves),
        "read_every_table_s": round(read_s, 3),
        "build_s": round(build_s, 3),
        "propose_s": round(propose_s, 3),
        "apply_s": round(apply_s, 3),
        "apply_x_read": round(apply_s / read_s, 2),
        "invariants_s": round(invariants_s, 3),
        "invariants_x_read": round(invariants_s / read_s, 2),
        "plan_save_s": round(save_s, 3),
        "plan_load_s": round(load_s, 3),
        "peak_rss_mb": round(peak_rss_mb()),
    }


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--members", type=int, nargs="+", default=[10_000, 100_000, 1_000_000])
    parser.add_argument("--strategy", default="team-branches")
    parser.add_argument("--params", default="{}", help="strategy parameters as JSON (default: its defaults)")
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--out", type=Path, default=Path(__file__).parent / "results" / "apply.json")
    args = parser.parse_args(argv)
    params = json.loads(args.params)
    rows = []
    for n in args.members:
        row = run_size(n, args.strategy, params, args.repeat)
        rows.append(row)
        print(" ".join(f"{k}={v}" for k, v in row.items()), flush=True)
    result = {
        "strategy": args.strategy,
        "params": params,
        "sizes": rows,
        "python": sys.version.split()[0],
        "machine": f"{platform.machine()}, {__import__('os').cpu_count()} cores",
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    return result


if __name__ == "__main__":
    main()
