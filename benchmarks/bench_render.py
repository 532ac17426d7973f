"""Benchmark: org charts and diff charts of large structures, within the default box budget.

Builds synthetic populations like the contract kit's ``generated-10000`` (a committee, general
branches of eight branches each, a group per branch, interest teams) of 10,000, 100,000 and
1,000,000 members, then for each, in one process:

1. the budgeted view (which units are drawn, count boxes for the rest);
2. the org chart's DOT text;
3. Graphviz ``dot`` laying it out and drawing SVG (and PNG with ``--png``);
4. a diff chart of a plan that merges 1 % of the branches into their neighbours, and its SVG.

Usage: ``python benchmarks/bench_render.py [--members 10000 100000 1000000] [--budget 1500]
[--png] [--json benchmarks/results/render.json]``. Prints a table (seconds, boxes drawn).
"""

from __future__ import annotations

import argparse
import json
import platform
import resource
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from orgmodel.model.apply import apply  # noqa: E402
from orgmodel.model.plan import PlanBuilder  # noqa: E402
from orgmodel.render import budgeted_view, diff_chart, org_chart, run_dot  # noqa: E402
from orgmodel.model.structure import Structure  # noqa: E402
from orgmodel.run.changes import changes_between, variant_tables  # noqa: E402
from orgmodel.testing import KIND_MAPS, _kinds, _population, _sizes_summing_to  # noqa: E402


def population(n: int) -> Structure:
    """About 33 members per branch, like generated-10000."""
    return _population(KIND_MAPS["party"], _kinds("party", None), seed=11,
                       branches=_sizes_summing_to(n, max(2, n // 33), seed=12), n_teams=max(1, n // 170))


def merge_plan(s: Structure) -> tuple:
    """Merge every hundredth branch into the next one (members and groups go along); returns
    what evaluation stores: the unit tables before and after and the changes."""
    b = PlanBuilder(s, strategy="bench")
    branches = s.unit_ids("party.branch")
    for i in range(0, len(branches) - 1, 100):
        b.dissolve(branches[i], members_to=branches[i + 1], children_to=branches[i + 1], reason="merge")
    plan = b.build()
    after = apply(s, plan, variant="bench", step=0)
    base, variant = variant_tables(s, s, []), variant_tables(s, after, [plan])
    return base[0], variant[0], changes_between(*base, *variant)


def timed(fn, *args, **kwargs):  # type: ignore[no-untyped-def]
    t = time.perf_counter()
    out = fn(*args, **kwargs)
    return out, time.perf_counter() - t


def run(n: int, budget: int, png: bool) -> dict[str, float | int]:
    s, t_build = timed(population, n)
    view, t_view = timed(budgeted_view, s, budget=budget)
    dot, t_dot_text = timed(org_chart, s, budget=budget)
    svg, t_svg = timed(run_dot, dot, "svg")
    row: dict[str, float | int] = {
        "members": n,
        "units": int((~s.units.dissolved).sum()),
        "boxes": view.n_nodes,
        "build_s": round(t_build, 3),
        "view_s": round(t_view, 3),
        "dot_text_s": round(t_dot_text, 3),
        "graphviz_svg_s": round(t_svg, 3),
        "svg_bytes": len(svg),
    }
    if png:
        _, t_png = timed(run_dot, dot, "png")
        row["graphviz_png_s"] = round(t_png, 3)
    (before_t, after_t, changes), t_apply = timed(merge_plan, s)
    diff, t_diff = timed(diff_chart, before_t, after_t, changes, budget=budget)
    _, t_diff_svg = timed(run_dot, diff, "svg")
    row.update({"diff_text_s": round(t_diff, 3), "diff_graphviz_svg_s": round(t_diff_svg, 3)})
    return row


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--members", type=int, nargs="+", default=[10_000, 100_000, 1_000_000])
    parser.add_argument("--budget", type=int, default=1500)
    parser.add_argument("--png", action="store_true", help="also time PNG output")
    parser.add_argument("--json", type=Path, help="write the results here")
    args = parser.parse_args()
    rows = []
    for n in args.members:
        row = run(n, args.budget, args.png)
        rows.append(row)
        print(" ".join(f"{k}={v}" for k, v in row.items()), flush=True)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak memory {peak:.0f} MB")
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps({"python": platform.python_version(), "machine": platform.machine(),
                                         "budget": args.budget, "rows": rows, "peak_mb": round(peak)}, indent=1))


if __name__ == "__main__":
    np.seterr(all="raise")
    main()
