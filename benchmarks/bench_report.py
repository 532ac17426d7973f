"""Benchmark: the large community's full run and report, stage by stage.

Times, in one process: loading the scenario and building the baseline; applying the variants;
checking and measuring them; writing the results; and writing the report (every org chart and
before/after chart as SVG, PNG and PDF, the distributions, report.html and report.md).

Usage: ``python benchmarks/bench_report.py [--scenario scenarios/large-community/scenario.yaml]``.
Prints a table and writes ``benchmarks/results/report.json``; the README records its numbers.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scenario", default=str(ROOT / "scenarios" / "large-community" / "scenario.yaml"))
    args = parser.parse_args(argv)

    from orgmodel.run.engine import Engine
    from orgmodel.run.evaluate import evaluate
    from orgmodel.io.loader import build_baseline, load_scenario
    from orgmodel.report import write_report
    from orgmodel.run.results import load_results, write_run

    times: dict[str, float] = {}
    t0 = time.perf_counter()
    engine = Engine()
    scenario = load_scenario(args.scenario)
    baseline = build_baseline(scenario, engine.plugins)
    times["load_and_build_s"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    result = engine.run(scenario, baseline=baseline)
    times["apply_variants_s"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    evaluations = evaluate(result, engine.plugins)
    times["check_and_measure_s"] = time.perf_counter() - t0
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "out"
        t0 = time.perf_counter()
        write_run(result, out, evaluations)
        times["write_results_s"] = time.perf_counter() - t0
        t0 = time.perf_counter()
        write_report(load_results(out), out / "report")
        times["write_report_s"] = time.perf_counter() - t0
        files = sorted((out / "report" / "diagrams").iterdir())
        size_mb = sum(p.stat().st_size for p in (out / "report").rglob("*") if p.is_file()) / 1e6
    result_row = {
        "scenario": scenario.spec.name,
        "members": int(baseline.members["active"].sum()),
        "variants": len(result.variants),
        **{k: round(v, 2) for k, v in times.items()},
        "total_s": round(sum(times.values()), 2),
        "diagram_files": len(files),
        "report_mb": round(size_mb, 1),
    }
    width = max(len(k) for k in result_row)
    for key, value in result_row.items():
        print(f"{key:<{width}}  {value}")
    results = Path(__file__).parent / "results"
    results.mkdir(exist_ok=True)
    (results / "report.json").write_text(json.dumps(result_row, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    return result_row


if __name__ == "__main__":
    sys.exit(0 if main() else 1)
