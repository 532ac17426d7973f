"""Benchmark: building a Structure from a large roster against reading the roster alone.

Writes a synthetic roster (units, members, participation) of N members to a temporary folder,
then, in one process and in this order:

1. reads the members CSV with pyarrow alone (the floor: what any tool must pay);
2. loads the scenario with orgmodel (read every table, check every column and reference, build
   the Structure, check every invariant);
3. applies a plan that moves 30 % of members, and computes sizes and subtree totals.

Usage: ``python benchmarks/bench_build.py [--members 1000000] [--repeat 3]``. Prints a table and
writes ``benchmarks/results/build.json``. The numbers in the README come from this script.
"""

from __future__ import annotations

import argparse
import json
import platform
import resource
import sys
import tempfile
import time
from pathlib import Path

import numpy as np


def write_roster(folder: Path, n_members: int, seed: int = 7) -> Path:
    """A roster of ``n_members`` from the population generator, calibrated like seed 004, scaled up.

    The large community's shape (6,500 members in 39 residential areas, a quarter of the areas
    over 200 members, teams of the four kinds with the seed's participation shares) is kept, and
    the number of areas grows with the members so that areas stay the seed's size.
    """
    from orgmodel_party.population import Calibration, generate

    areas = max(6, round(n_members * 39 / 6_500))
    cal = Calibration(members=n_members, areas=areas, largest=329, teams_per_area=185 / 39,
                      share_over_100=25 / 39, share_over_200=11 / 39, participation_share=1_100 / 6_500,
                      ties_per_member=2.0)
    generate(cal, seed=seed).write(folder)
    tables = {p.stem for p in folder.glob("*.csv")}
    lines = ["name: benchmark", "domain: party", "baseline:"]
    lines += [f"  {name}: {{file: {name}.csv}}" for name in ("units", "members", "participation", "roles", "ties")
              if name in tables]
    scenario = folder / "scenario.yaml"
    scenario.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return scenario


def _all_text(path: Path) -> dict[str, object]:
    """Column types that read every column of a CSV as text (as orgmodel does)."""
    import pyarrow as pa

    header = path.open(encoding="utf-8").readline().strip().split(",")
    return {name: pa.string() for name in header}


def peak_rss_mb() -> float:
    """Peak resident memory of this process so far, in MB."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--members", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args(argv)

    import pyarrow.csv as pacsv

    from orgmodel.model.apply import apply
    from orgmodel.io.loader import build_baseline, load_scenario
    from orgmodel.model.plan import PlanBuilder
    from orgmodel.plugin.host import PluginHost

    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        t0 = time.perf_counter()
        scenario_path = write_roster(folder, args.members)
        gen_s = time.perf_counter() - t0
        size_mb = (folder / "members.csv").stat().st_size / 1e6

        read_s, read_all_s, build_s, move_s = [], [], [], []
        host = PluginHost()
        host.domain_pack("party")  # load plugins outside the timed part
        for _ in range(args.repeat):
            t0 = time.perf_counter()
            table = pacsv.read_csv(folder / "members.csv", convert_options=pacsv.ConvertOptions(
                column_types=_all_text(folder / "members.csv")))
            read_s.append(time.perf_counter() - t0)
            del table
            t0 = time.perf_counter()
            for path in sorted(folder.glob("*.csv")):
                pacsv.read_csv(path, convert_options=pacsv.ConvertOptions(column_types=_all_text(path)))
            read_all_s.append(time.perf_counter() - t0)

            t0 = time.perf_counter()
            structure = build_baseline(load_scenario(scenario_path), host)
            build_s.append(time.perf_counter() - t0)

            t0 = time.perf_counter()
            rng = np.random.default_rng(1)
            moved = rng.choice(structure.n_members, size=int(0.3 * structure.n_members), replace=False)
            branches = structure.unit_ids("party.branch")[:100]
            builder = PlanBuilder(structure, strategy="benchmark")
            for i, chunk in enumerate(np.array_split(moved, 100)):
                builder.move(structure.members.ids[np.sort(chunk)].tolist(), to=branches[i], reason="benchmark")
            after = apply(structure, builder.build(), variant="bench", step=0)
            after.sizes(subtree=True)
            move_s.append(time.perf_counter() - t0)
            del structure, after

    result = {
        "members": args.members,
        "members_csv_mb": round(size_mb, 1),
        "generate_s": round(gen_s, 2),
        "read_csv_pyarrow_s": round(min(read_s), 3),
        "read_all_tables_pyarrow_s": round(min(read_all_s), 3),
        "load_and_build_s": round(min(build_s), 3),
        "move_30pct_apply_and_sizes_s": round(min(move_s), 3),
        "peak_rss_mb": round(peak_rss_mb()),
        "python": sys.version.split()[0],
        "machine": f"{platform.machine()}, {__import__('os').cpu_count()} cores",
    }
    width = max(len(k) for k in result)
    for key, value in result.items():
        print(f"{key:<{width}}  {value}")
    out = Path(__file__).parent / "results"
    out.mkdir(exist_ok=True)
    (out / "build.json").write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    return result


if __name__ == "__main__":
    main()
