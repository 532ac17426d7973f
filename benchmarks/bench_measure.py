"""Benchmark: every metric and the party rule pack on a large structure, against reading its roster.

In one process: write a synthetic roster of N members (see ``bench_build.write_roster``), build
the Structure, then time side by side

1. reading the members CSV with pyarrow (the reference);
2. every registered metric on the structure (a fresh MeasureContext: no cached aggregates);
3. the party rule pack (every rule, one vectorised pass each).

Usage: ``python benchmarks/bench_measure.py [--members 1000000] [--repeat 3]``. Prints a table and
writes ``benchmarks/results/measure.json``; the README records its numbers.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

from bench_build import _all_text, peak_rss_mb, write_roster  # noqa: E402


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--members", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args(argv)

    import pyarrow.csv as pacsv

    from orgmodel.io.loader import build_baseline, load_scenario
    from orgmodel.analysis.metrics import MeasureContext, measure
    from orgmodel.plugin.host import PluginHost
    from orgmodel.analysis.rules import check_rules

    host = PluginHost()
    metrics = list(host.metrics())
    pack = host.rule_packs().get("party")
    with tempfile.TemporaryDirectory() as tmp:
        scenario = write_roster(Path(tmp), args.members)
        structure = build_baseline(load_scenario(scenario), host)
        read_s, metric_s, rule_s = [], [], []
        for _ in range(args.repeat):
            t0 = time.perf_counter()
            pacsv.read_csv(Path(tmp) / "members.csv", convert_options=pacsv.ConvertOptions(
                column_types=_all_text(Path(tmp) / "members.csv")))
            read_s.append(time.perf_counter() - t0)
            fresh = structure.replace()  # same arrays, no cached aggregates
            t0 = time.perf_counter()
            values = measure(MeasureContext(fresh, baseline=structure), metrics)
            metric_s.append(time.perf_counter() - t0)
            t0 = time.perf_counter()
            findings = check_rules(fresh, [pack])
            rule_s.append(time.perf_counter() - t0)
    result = {
        "members": args.members,
        "units": structure.n_units,
        "read_members_csv_pyarrow_s": round(min(read_s), 3),
        "all_metrics_s": round(min(metric_s), 3),
        "metric_values": len(values),
        "party_rules_s": round(min(rule_s), 3),
        "rules": len(pack.rules),
        "findings": len(findings),
        "peak_rss_mb": round(peak_rss_mb()),
    }
    width = max(len(k) for k in result)
    for key, value in result.items():
        print(f"{key:<{width}}  {value}")
    out = Path(__file__).parent / "results"
    out.mkdir(exist_ok=True)
    (out / "measure.json").write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    return result


if __name__ == "__main__":
    main()
