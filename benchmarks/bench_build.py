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
    """A synthetic party-pack roster: 1 committee, general branches, branches, teams, members."""
    rng = np.random.default_rng(seed)
    n_branches = max(2, n_members // 25)
    n_general = max(1, n_branches // 8)
    n_teams = max(1, n_members // 40)
    n_areas = n_general
    lines = ["id,kind,name,parent,built_on"]
    lines.append("c,party.committee,社区党委,,")
    lines += [f"a{i},party.residential_area,居民区{i},," for i in range(n_areas)]
    lines += [f"t{i},party.team,团队{i},a{i % n_areas}," for i in range(n_teams)]
    lines += [f"g{i},party.general_branch,总支{i},c,a{i}" for i in range(n_general)]
    lines += [f"b{i},party.branch,支部{i},g{i % n_general},a{i % n_general}" for i in range(n_branches)]
    (folder / "units.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")

    branch = rng.integers(0, n_branches, n_members)
    status = np.where(rng.random(n_members) < 0.95, "full", "probationary")
    birth_year = rng.integers(1935, 2000, n_members)
    retired = birth_year < 1965
    with (folder / "members.csv").open("w", encoding="utf-8") as out:
        out.write("id,branch,status,birth_date,retired,home_host\n")
        ids = np.char.add("m", np.arange(n_members).astype(str))
        rows = np.char.add(np.char.add(ids, ",b"), branch.astype(str))
        rows = np.char.add(np.char.add(rows, ","), status)
        rows = np.char.add(np.char.add(rows, ","), np.char.add(birth_year.astype(str), "-06-01"))
        rows = np.char.add(np.char.add(rows, ","), np.where(retired, "true", "false"))
        rows = np.char.add(np.char.add(rows, ",a"), (branch % n_general % n_areas).astype(str))
        out.write("\n".join(rows.tolist()) + "\n")

    takers = rng.choice(n_members, size=n_members // 5, replace=False)
    teams = rng.integers(0, n_teams, len(takers))
    with (folder / "participation.csv").open("w", encoding="utf-8") as out:
        out.write("member,unit\n")
        out.write("\n".join(f"m{m},t{t}" for m, t in zip(takers.tolist(), teams.tolist(), strict=True)) + "\n")

    scenario = folder / "scenario.yaml"
    scenario.write_text(
        "name: benchmark\ndomain: party\nbaseline:\n"
        "  units: {file: units.csv}\n  members: {file: members.csv}\n"
        "  participation: {file: participation.csv}\n",
        encoding="utf-8",
    )
    return scenario


def peak_rss_mb() -> float:
    """Peak resident memory of this process so far, in MB."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--members", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args(argv)

    import pyarrow as pa
    import pyarrow.csv as pacsv

    from orgmodel.apply import apply
    from orgmodel.loader import build_baseline, load_scenario
    from orgmodel.plan import PlanBuilder
    from orgmodel.plugins import PluginHost

    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        t0 = time.perf_counter()
        scenario_path = write_roster(folder, args.members)
        gen_s = time.perf_counter() - t0
        size_mb = (folder / "members.csv").stat().st_size / 1e6

        read_s, build_s, move_s = [], [], []
        host = PluginHost()
        host.domain_pack("party")  # load plugins outside the timed part
        for _ in range(args.repeat):
            t0 = time.perf_counter()
            table = pacsv.read_csv(folder / "members.csv", convert_options=pacsv.ConvertOptions(
                column_types={c: pa.string() for c in ("id", "branch", "status", "birth_date", "retired", "home_host")}))
            read_s.append(time.perf_counter() - t0)
            del table

            t0 = time.perf_counter()
            structure = build_baseline(load_scenario(scenario_path), host)
            build_s.append(time.perf_counter() - t0)

            t0 = time.perf_counter()
            rng = np.random.default_rng(1)
            moved = rng.choice(structure.n_members, size=int(0.3 * structure.n_members), replace=False)
            branches = structure.unit_ids("party.branch")
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
