"""The benchmark suite: every stage of the pipeline at growing sizes, as ratios to reading the roster.

One command::

    python benchmarks/suite.py --members 10000 100000 1000000 3000000

For each size the population generator (``orgmodel_party.population``, seed 004's large
community scaled up: areas of the seed's sizes, teams, groups, buildings, roles, ties) writes a
roster in a process of its own; then one fresh process measures, in this order:

``read``           every table of the roster read with pyarrow alone, every column as text (best
                   of three): the reference every other stage is divided by;
``build``          load the scenario and build the Structure (read, type and check every column and
                   reference, every invariant);
``propose:<s>``, ``apply:<s>``
                   every registered first-party strategy with its defaults (roles included)
                   proposing on the baseline, and its plan applied (every invariant checked); a
                   strategy that fails on the generated roster is reported with its error, one that
                   takes longer than ``--time-limit`` seconds as not finished; team-branches (the
                   pipeline's strategy) first, followed at once by
``metrics+rules``  every registered metric and the party rule pack on team-branches' result, the
                   first time anything is measured or checked on it;
``plan save/load`` team-branches' plan written with ``Plan.save`` (moves and operations in Parquet)
                   and read back;
``invariants``     every invariant on team-branches' result alone;
``evaluate``       what the results folder stores for the baseline and the variant (metrics, rules,
                   unit tables, assignment, changes);
``write results``  the results folder (``orgmodel.run.results.write_run``);
``simulate``       one simulated year of one replication of the variant (the party model, serial);
``report``         the paged charts and the report (SVG, PNG, PDF charts, HTML, Markdown) from the
                   results folder; every Graphviz call is timed on its own.

The strategies of ``roster.TOWN_STRATEGIES`` (agency-alignment, community-joint, industry-branch,
two-new-coverage, village-alliance) have nothing to work on in a residential community: for them
the same number of members is generated a second time as the towns roster
(``roster.write_roster(towns=True)``: villages in townships, industry associations, small firms
with no branch of their own, a government agency) and measured in a process of its own as
``towns: read``, ``towns: build`` and their ``propose:<s>``, ``apply:<s>``, with ratios to the
towns roster's read. Each runs with its defaults except for the least parameters it cannot do
without, read from the roster's ``scenario.yaml`` (the variant named after the strategy, recorded
as the strategy's ``params`` in the JSON): community-joint is given ``community`` (the first
township's community; it serves the villages next to it).

Each stage gives seconds, the peak resident memory of the process during the stage (the high-water
mark is reset before each stage through ``/proc/self/clear_refs``; the structures held from
earlier stages count) and its ratio to the read of the same run. The ``pipeline`` is read + build
+ team-branches' propose and apply + metrics+rules. The suite prints each target of the issue
("a real strategy on a million members in seconds") as met or not and writes
``benchmarks/results/suite.json`` (after each size, so that a long run keeps what it measured).
``--table`` prints the README's tables from that file; ``--readme`` puts them into README.md.

Usage: ``python benchmarks/suite.py [--members N ...] [--time-limit 120] [--pipeline-time-limit 900]
[--stage-time-limit 900] [--strategies a b] [--no-report] [--out FILE]``;
``python benchmarks/suite.py --table|--readme [--out FILE]``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import signal
import subprocess
import sys
import tempfile
import time
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import roster  # noqa: E402
from orgmodel.errors import UserError  # noqa: E402

RESULTS = HERE / "results" / "suite.json"
PIPELINE_STRATEGY = "team-branches"
TARGET_SIZE = 1_000_000
TARGETS = {  # the targets at 1,000,000 members
    "build_x": 4.0,
    "metrics_rules_x": 1.0,
    "strategy_x": 5.0,
    "pipeline_x": 10.0,
    "pipeline_moonshot_x": 4.0,
    "peak_mb": 1024.0,
    "growth": 3.5,
    "graphviz_s": 5.0,
}


# -- the roster ----------------------------------------------------------------------------------------


def write_roster(folder: Path, n_members: int, seed: int = 7) -> Path:
    """The roster of :func:`roster.write_roster` (with courtyards) and a scenario reading
    it with one variant (team-branches, its defaults) and a one-year simulation of one replication."""
    scenario = roster.write_roster(folder, n_members, seed, courtyards=True)
    lines = ["as_of: 2024-06-30", "seed: 4", "variants:", f"  - name: {PIPELINE_STRATEGY}", "    steps:",
             f"      - strategy: {PIPELINE_STRATEGY}",
             "simulation: {horizon_years: 1, replications: 1, executor: serial}"]
    scenario.write_text(scenario.read_text(encoding="utf-8") + "\n".join(lines) + "\n", encoding="utf-8")
    return scenario


def read_every_table(folder: Path) -> int:
    """Read every CSV table of the roster with pyarrow, every column as text: the reference."""
    import pyarrow.csv as pacsv

    rows = 0
    for path in sorted(folder.glob("*.csv")):
        rows += pacsv.read_csv(path, convert_options=pacsv.ConvertOptions(column_types=roster.all_text(path))).num_rows
    return rows


# -- measuring one stage ---------------------------------------------------------------------------------


class TimeLimit(Exception):
    """A stage ran out of its time."""


def _alarm(signum: int, frame: Any) -> None:  # noqa: ARG001
    raise TimeLimit()


def _reset_peak() -> bool:
    """Reset the resident-memory high-water mark (Linux); False where that is not possible."""
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")
        return True
    except OSError:
        return False


def _peak_mb() -> float:
    """The resident-memory high-water mark since the last reset (or since the start), in MB."""
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return roster.peak_rss_mb()


class Stages:
    """Times stages one after the other, each with its own peak memory."""

    def __init__(self, limit: float | None = None) -> None:
        self.limit = limit  # seconds any stage may take unless it is given its own
        self.rows: dict[str, dict[str, Any]] = {}
        signal.signal(signal.SIGALRM, _alarm)

    def run(self, name: str, fn: Callable[[], Any], *, limit: float | None = None, repeat: int = 1) -> Any:
        """Run ``fn`` (best of ``repeat``) as the stage ``name``; its result, or None when it failed
        or ran out of ``limit`` seconds (recorded as the stage's status)."""
        import gc

        gc.collect()
        _reset_peak()
        limit = limit if limit is not None else self.limit
        best, result, status = float("inf"), None, "ok"
        for _ in range(repeat):
            t0 = time.perf_counter()
            c0 = time.process_time()
            try:
                if limit:
                    signal.setitimer(signal.ITIMER_REAL, limit)
                try:
                    result = fn()
                finally:
                    signal.setitimer(signal.ITIMER_REAL, 0)
            except TimeLimit:
                status = f"not finished in {limit:g} s"
            except UserError as exc:  # a strategy that cannot work on this roster says why
                status = f"cannot run: {' '.join(str(exc).split())[:300]}"
            except Exception as exc:  # a stage that fails is reported, not hidden
                status = f"failed: {type(exc).__name__}: {' '.join(str(exc).split())[:300]}"
                traceback.print_exc(file=sys.stderr)
            seconds, cpu = time.perf_counter() - t0, time.process_time() - c0
            if status != "ok":
                best, result = seconds, None
                break
            if seconds < best:
                best, best_cpu = seconds, cpu
        row = {"seconds": round(best, 4), "peak_mb": round(_peak_mb())}
        if status == "ok":
            row["cpu_seconds"] = round(best_cpu, 4)
        else:
            row["status"] = status
        self.rows[name] = row
        print(f"  {name:<32} {row['seconds']:>9.3f} s  {row['peak_mb']:>6} MB  {row.get('status', '')}",
              file=sys.stderr, flush=True)
        return result


# -- one size, in a process of its own -------------------------------------------------------------------


def measure_folder(folder: Path, *, strategies: list[str] | None, time_limit: float, pipeline_limit: float,
                   stage_limit: float, report: bool, towns: bool = False) -> dict[str, Any]:
    """Every stage on the roster in ``folder`` (written by :func:`write_roster`); one JSON-able row.

    With ``towns`` the folder holds the towns roster (``roster.write_roster(towns=True)``): only its
    read, build and the strategies of ``roster.TOWN_STRATEGIES`` are measured, the read and build as
    ``towns: read`` and ``towns: build``."""
    from orgmodel import __version__
    from orgmodel.analysis.metrics import MeasureContext, measure
    from orgmodel.analysis.rulebook import rule_book_for, rule_packs_for
    from orgmodel.analysis.rules import check_rules, count_findings
    from orgmodel.io.loader import build_baseline, load_scenario
    from orgmodel.model.apply import apply
    from orgmodel.model.invariants import violations
    from orgmodel.model.plan import Plan
    from orgmodel.plugin.host import PluginHost
    from orgmodel.render import dot as dot_module
    from orgmodel.report import write_report
    from orgmodel.run.engine import RunResult, StepResult, VariantResult
    from orgmodel.run.evaluate import evaluate
    from orgmodel.run.results import load_results, write_run
    from orgmodel.simulate import simulate
    from orgmodel.simulate.manifest import SimulationRun

    host = PluginHost()
    host.domain_pack("party")  # plugins load outside the timed stages
    registry = host.strategies()
    first_party = [n for n in registry.names() if (registry.owner(n) or "") in FIRST_PARTY]
    chosen = strategies if strategies else first_party
    unknown = [n for n in chosen if n not in registry.names()]
    if unknown:
        raise SystemExit(f"unknown strategy: {', '.join(unknown)} (have: {', '.join(registry.names())})")
    chosen = [n for n in chosen if (n in roster.TOWN_STRATEGIES) == towns]
    # the pipeline's strategy first, its metrics+rules right after: read -> build -> strategy -> metrics+rules
    # in one go, its memory not inflated by what the other strategies left to the allocators
    chosen.sort(key=lambda n: n != PIPELINE_STRATEGY)
    prefix = "towns: " if towns else ""
    scenario_path = folder / "scenario.yaml"
    st = Stages(stage_limit)
    st.run(f"{prefix}read", lambda: read_every_table(folder), repeat=3)
    import pyarrow as pa

    pa.default_memory_pool().release_unused()  # the tables read are dropped; arrow's allocator keeps their memory
    scenario = load_scenario(scenario_path)  # warm: the YAML parser and the scenario's checks
    base = st.run(f"{prefix}build", lambda: build_baseline(load_scenario(scenario_path), host))
    if base is None:
        return {"stages": st.rows}
    rules = rule_book_for(scenario, host)
    params_of = roster.strategy_params(scenario)  # the least parameters a strategy needs on this roster
    row: dict[str, Any] = {"units": int(base.n_units), "strategies": {}}

    kept: dict[str, Any] = {}
    for name in chosen:
        strategy = registry.get(name)
        raw = params_of.get(name, {})
        info: dict[str, Any] = {"plugin": registry.owner(name)}
        if towns:
            info["roster"] = "towns"
        if raw:
            info["params"] = raw
        started = time.perf_counter()
        limit = max(time_limit, pipeline_limit) if name == PIPELINE_STRATEGY else time_limit

        def propose(strategy: Any = strategy, raw: dict[str, Any] = raw) -> Plan:
            # propose_on, as the engine runs a strategy: its parameters checked, the cyclic collector paused
            return strategy.propose_on(base, raw, seed=4, rules=rules, variant=name, step=0, as_of=scenario.spec.as_of)

        plan = st.run(f"propose:{name}", propose, limit=limit)
        if plan is not None:
            counts = plan.counts()
            info.update(operations=sum(v for k, v in counts.items() if k != "move_members"),
                        set_role=counts.get("set_role", 0), moves=len(plan.moves))
            left = max(1.0, limit - (time.perf_counter() - started))
            after = st.run(f"apply:{name}", lambda plan=plan: apply(base, plan, variant=name, step=0), limit=left)
            if after is not None and name == PIPELINE_STRATEGY:
                kept = {"plan": plan, "after": after}
                metrics = list(host.metrics())
                packs = rule_packs_for(scenario, host)

                def metrics_and_rules(plan: Plan = plan, after: Any = after) -> tuple[int, list[Any]]:
                    # the first metrics and rules on this result: nothing was measured or checked on it before
                    ctx = MeasureContext(after, baseline=base, plans=[plan], as_of=scenario.spec.as_of)
                    return len(measure(ctx, metrics)), check_rules(after, packs, as_of=scenario.spec.as_of)

                counted = st.run("metrics+rules", metrics_and_rules)
                if counted is not None:
                    row["metric_values"], findings = counted
                    row["findings"] = len(findings)
                    info["error_findings"] = count_findings(findings)["error"]
                    del findings
            elif after is not None:
                findings = check_rules(after, rule_packs_for(scenario, host), as_of=scenario.spec.as_of)
                info["error_findings"] = count_findings(findings)["error"]
            del after
        del plan
        row["strategies"][name] = info

    if towns:
        row["stages"] = st.rows
        return row
    if not kept:
        row["later_stages"] = f"not run: {PIPELINE_STRATEGY}'s propose and apply did not finish"
    if kept:
        plan, after = kept["plan"], kept["after"]
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / "plan.json"
            st.run("plan save", lambda: plan.save(path))
            again = st.run("plan load", lambda: Plan.load(path))
            row["plan_round_trip"] = again == plan
            del again
        problems = st.run("invariants", lambda: violations(after, limit=1, member_ids_known_unique=True))
        row["invariant_problems"] = len(problems) if problems is not None else None
        variant = scenario.spec.variants[0]
        result = RunResult(scenario=scenario, baseline=base, variants=(VariantResult(
            variant.name, variant.label, variant.description,
            (StepResult(0, "strategy", PIPELINE_STRATEGY, plan, after),), after),))
        evaluations = st.run("evaluate", lambda: evaluate(result, host))

        def simulate_year() -> SimulationRun:
            spec = scenario.spec.simulation
            sim = simulate({variant.name: after}, spec, start=scenario.spec.as_of, plugins=host,
                           rules=rules, scenario_seed=scenario.spec.seed, executor="serial")
            return SimulationRun(sim, spec, scenario.spec.as_of, "serial", workers=None, scheduler=None,
                                 scenario_path=scenario.path, plugins=host)

        simulated = st.run("simulate", simulate_year) if scenario.spec.simulation is not None else None
        with tempfile.TemporaryDirectory() as tmp:
            out = Path(tmp) / "out"
            if evaluations is not None:
                st.run("write results", lambda: write_run(result, out, evaluations, simulation=simulated))
                row["results_mb"] = round(sum(p.stat().st_size for p in out.rglob("*") if p.is_file()) / 1e6, 1)
            if report and out.exists():
                layouts: list[dict[str, Any]] = []
                real_run = dot_module.subprocess.run

                def timed_run(cmd: list[str], *args: Any, **kwargs: Any) -> Any:
                    t0 = time.perf_counter()
                    try:
                        return real_run(cmd, *args, **kwargs)
                    finally:
                        layouts.append({"format": cmd[1][2:], "seconds": round(time.perf_counter() - t0, 3),
                                        "dot_bytes": len(kwargs.get("input") or b"")})

                dot_module.subprocess.run = timed_run  # type: ignore[assignment]
                try:
                    st.run("report", lambda: write_report(load_results(out), out / "report", lang="zh"))
                finally:
                    dot_module.subprocess.run = real_run  # type: ignore[assignment]
                row["graphviz"] = {"calls": len(layouts), "seconds": round(sum(x["seconds"] for x in layouts), 3),
                                   "slowest": max(layouts, key=lambda x: x["seconds"]) if layouts else None}
                if (out / "report").exists():
                    files = [p for p in (out / "report").rglob("*") if p.is_file()]
                    row["report_files"] = len(files)
                    row["report_mb"] = round(sum(p.stat().st_size for p in files) / 1e6, 1)
    row["stages"] = st.rows
    row["peak_mb"] = round(roster.peak_rss_mb())
    row["orgmodel"] = __version__
    return row


FIRST_PARTY = ("seed-strategies", "optimise", "party", "orgmodel")


def run_size(n: int, args: argparse.Namespace) -> dict[str, Any]:
    """Generate the roster of ``n`` members in one process and measure it in another; then the same
    for the towns roster and the strategies measured on it (merged into the same row)."""
    with tempfile.TemporaryDirectory(prefix="orgmodel-suite-") as tmp:
        t0 = time.perf_counter()
        subprocess.run([sys.executable, __file__, "--generate", str(n), tmp], check=True)
        generate_s = time.perf_counter() - t0
        out = Path(tmp) / "row.json"
        cmd = _measure_command(tmp, out, args)
        print(f"{n:,} members", file=sys.stderr, flush=True)
        proc = subprocess.run(cmd, check=False)
        if proc.returncode != 0 or not out.exists():
            return {"members": n, "error": f"the measuring process ended with exit code {proc.returncode}"}
        row = json.loads(out.read_text(encoding="utf-8"))
        members_mb = (Path(tmp) / "members.csv").stat().st_size / 1e6
        tables_mb = sum(p.stat().st_size for p in Path(tmp).glob("*.csv")) / 1e6
    row = {"members": n, "generate_s": round(generate_s, 2), "members_csv_mb": round(members_mb, 1),
           "tables_mb": round(tables_mb, 1), **row}
    if args.strategies and not set(args.strategies) & set(roster.TOWN_STRATEGIES):
        return row
    with tempfile.TemporaryDirectory(prefix="orgmodel-suite-towns-") as tmp:
        t0 = time.perf_counter()
        subprocess.run([sys.executable, __file__, "--generate-towns", str(n), tmp], check=True)
        towns: dict[str, Any] = {"generate_s": round(time.perf_counter() - t0, 2)}
        out = Path(tmp) / "row.json"
        print(f"{n:,} members, towns roster", file=sys.stderr, flush=True)
        proc = subprocess.run(_measure_command(tmp, out, args) + ["--towns"], check=False)
        towns["tables_mb"] = round(sum(p.stat().st_size for p in Path(tmp).glob("*.csv")) / 1e6, 1)
        if proc.returncode != 0 or not out.exists():
            row["towns"] = {**towns, "error": f"the measuring process ended with exit code {proc.returncode}"}
            return row
        measured = json.loads(out.read_text(encoding="utf-8"))
    towns.update(units=measured.get("units"), stages=list(measured["stages"]))
    row["towns"] = towns
    row.setdefault("stages", {}).update(measured["stages"])
    row.setdefault("strategies", {}).update(measured.get("strategies", {}))
    return row


def _measure_command(folder: str, out: Path, args: argparse.Namespace) -> list[str]:
    cmd = [sys.executable, __file__, "--measure", folder, "--time-limit", str(args.time_limit),
           "--pipeline-time-limit", str(args.pipeline_time_limit), "--stage-time-limit", str(args.stage_time_limit),
           "--row", str(out)]
    if args.strategies:
        cmd += ["--strategies", *args.strategies]
    if args.no_report:
        cmd.append("--no-report")
    return cmd


# -- ratios and targets ----------------------------------------------------------------------------------


def _s(row: dict[str, Any], stage: str) -> float | None:
    st = row.get("stages", {}).get(stage)
    return st["seconds"] if st and "status" not in st else None


def derive(row: dict[str, Any]) -> None:
    """Ratios to the read, per-strategy totals and the pipeline, added to ``row``."""
    read = _s(row, "read")
    if not read:
        return
    towns_read = _s(row, "towns: read")  # the towns roster's stages are divided by its own read
    on_towns = set(row.get("towns", {}).get("stages", ()))
    for name, st in row.get("stages", {}).items():
        r = towns_read if name in on_towns else read
        if "status" not in st and r:
            st["x_read"] = round(st["seconds"] / r, 2)
    for name, info in row.get("strategies", {}).items():
        read_of = towns_read if info.get("roster") == "towns" else read
        if not read_of:
            continue
        p, a = _s(row, f"propose:{name}"), _s(row, f"apply:{name}")
        status = (row["stages"].get(f"propose:{name}", {}).get("status")
                  or row["stages"].get(f"apply:{name}", {}).get("status"))
        if status:
            info["status"] = status
        elif p is not None and a is not None:
            info["seconds"] = round(p + a, 4)
            info["x_read"] = round((p + a) / read_of, 2)
    parts = [_s(row, k) for k in ("read", "build", f"propose:{PIPELINE_STRATEGY}", f"apply:{PIPELINE_STRATEGY}",
                                  "metrics+rules")]
    if all(v is not None for v in parts):
        total = sum(parts)  # type: ignore[arg-type]
        peak = max(row["stages"][k]["peak_mb"] for k in ("read", "build", f"propose:{PIPELINE_STRATEGY}",
                                                         f"apply:{PIPELINE_STRATEGY}", "metrics+rules"))
        row["pipeline"] = {"seconds": round(total, 3), "x_read": round(total / read, 2), "peak_mb": peak}


def _process_peak(row: dict[str, Any]) -> int:
    """The process's peak: its own high-water mark or that of any stage, whichever is higher."""
    return max([row.get("peak_mb", 0)] + [st.get("peak_mb", 0) for st in row.get("stages", {}).values()])


def _met(value: float | None, limit: float) -> bool | None:
    return None if value is None else value <= limit


def targets(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Each target of the issue: what it asks, what was measured, met or not (None: not measured)."""
    at = next((r for r in rows if r["members"] == TARGET_SIZE and "stages" in r), None)
    three = next((r for r in rows if r["members"] == 3 * TARGET_SIZE and "stages" in r), None)
    out: list[dict[str, Any]] = []

    def add(name: str, limit: str, value: Any, met: bool | None) -> None:
        out.append({"target": name, "limit": limit, "measured": value, "met": met})

    T = TARGETS
    if at is None:
        add("targets at 1,000,000 members", "", "1,000,000 not measured", None)
    else:
        st = at["stages"]
        b = st.get("build", {}).get("x_read")
        add("build", f"≤ {T['build_x']:g}× read", f"{b}×" if b is not None else st.get("build", {}).get("status"),
            _met(b, T["build_x"]))
        m = st.get("metrics+rules", {}).get("x_read")
        add("metrics + rule pack", f"≤ {T['metrics_rules_x']:g}× read", f"{m}×" if m is not None else "not measured",
            _met(m, T["metrics_rules_x"]))
        for name, info in at.get("strategies", {}).items():
            x, status = info.get("x_read"), info.get("status", "not measured")
            if status.startswith("cannot run"):  # not met, not failed: the roster has nothing for it
                add(f"{name} propose + apply", f"≤ {T['strategy_x']:g}× read", "cannot run on the generated roster", None)
                continue
            add(f"{name} propose + apply", f"≤ {T['strategy_x']:g}× read",
                f"{x}×" if x is not None else status, x is not None and x <= T["strategy_x"])
        p = at.get("pipeline", {}).get("x_read")
        add("pipeline read → build → team-branches → metrics + rules", f"≤ {T['pipeline_x']:g}× read",
            f"{p}×" if p is not None else "not measured", _met(p, T["pipeline_x"]))
        add("pipeline, moonshot", f"≤ {T['pipeline_moonshot_x']:g}× read",
            f"{p}×" if p is not None else "not measured", _met(p, T["pipeline_moonshot_x"]))
        pk = at.get("pipeline", {}).get("peak_mb")
        add("peak memory of the pipeline", f"< {T['peak_mb']:g} MB", f"{pk} MB" if pk is not None else "not measured",
            _met(pk, T["peak_mb"] - 1e-9))
        peak = _process_peak(at)
        add("peak memory of the whole suite process", f"< {T['peak_mb']:g} MB", f"{peak} MB", peak < T["peak_mb"])
    if at is not None and three is not None:
        worst, worst_stage, missing = 0.0, None, []
        for name, st in at["stages"].items():
            if "status" in st:
                continue
            other = three["stages"].get(name)
            if not other or "status" in other:
                missing.append(name)
                continue
            if st["seconds"] >= 0.05:  # below that the ratio is noise
                g = other["seconds"] / st["seconds"]
                if g > worst:
                    worst, worst_stage = g, name
        add("growth 1M → 3M, every stage", f"≤ {T['growth']:g}×",
            f"worst {worst:.2f}× ({worst_stage})" + (f"; not finished at 3M: {', '.join(missing)}" if missing else ""),
            worst <= T["growth"] and not missing)
    else:
        add("growth 1M → 3M, every stage", f"≤ {T['growth']:g}×", "1M and 3M not both measured", None)
    slowest = [(r["members"], r["graphviz"]["slowest"]) for r in rows if r.get("graphviz", {}).get("slowest")]
    if slowest:
        n, worst_call = max(slowest, key=lambda x: x[1]["seconds"])
        add("no Graphviz layout over 5 s", f"≤ {T['graphviz_s']:g} s",
            f"slowest {worst_call['seconds']} s ({worst_call['format']}, {n:,} members)",
            worst_call["seconds"] <= T["graphviz_s"])
    return out


# -- the tables ------------------------------------------------------------------------------------------


def _cell(st: dict[str, Any] | None) -> str:
    if not st:
        return "–"
    if "status" in st:
        return st["status"].split(":")[0] if st["status"].startswith(("failed", "cannot run")) else st["status"]
    sec = st["seconds"]
    text = f"{sec:.3f} s" if sec < 1 else f"{sec:.2f} s" if sec < 100 else f"{sec:.0f} s"
    return f"{text} ({st['x_read']:g}×)" if "x_read" in st else text


def _size(n: int) -> str:
    return f"{n // 1_000_000}M" if n % 1_000_000 == 0 else f"{n // 1000}k" if n % 1000 == 0 else f"{n:,}"


def markdown(data: dict[str, Any]) -> str:
    """The README's tables: stages by size (seconds and ratio to the read), then the targets."""
    rows = [r for r in data["rows"] if "stages" in r]
    m = data["machine"]
    loads = ", ".join(f"{r['load_average'][0]:g}–{r['load_average'][1]:g} at {_size(r['members'])}"
                      for r in rows if "load_average" in r)
    intro = (f"`{data.get('command', 'python benchmarks/suite.py')}`, {data['started']}: {m.get('cpu') or m['arch']}, "
             f"{m['cores']} cores, {m.get('memory_gb')} GB, Python {m['python']}"
             + (f"; load average before and after each size {loads}" if loads else "") + ". "
             f"Seconds (wall) and ratio to reading every table with pyarrow in the same process; "
             f"a strategy may take {data['time_limit_s']:g} s ({PIPELINE_STRATEGY} {data.get('pipeline_time_limit_s', 0):g} s).")
    head = "| stage | " + " | ".join(f"{r['members']:,}" for r in rows) + " |"
    lines = [head, "|---" * (len(rows) + 1) + "|"]

    def line(label: str, cells: list[str]) -> None:
        lines.append(f"| {label} | " + " | ".join(cells) + " |")

    line("units", [f"{r['units']:,}" for r in rows])
    if any(r.get("towns", {}).get("units") for r in rows):
        line("units (towns roster)", [f"{r['towns']['units']:,}" if r.get("towns", {}).get("units") else "–"
                                      for r in rows])
    names: list[str] = []
    for r in rows:
        for stage in r["stages"]:
            if stage not in names:
                names.append(stage)
    order = [n for n in ("read", "build", "towns: read", "towns: build") if n in names]
    order += [n for n in names if n.startswith(("propose:", "apply:"))]
    order += [n for n in names if n not in order]
    for stage in order:
        if stage.startswith("apply:"):
            continue
        if stage.startswith("propose:"):
            s = stage.split(":", 1)[1]
            cells = []
            for r in rows:
                info = r.get("strategies", {}).get(s, {})
                p, a = r["stages"].get(stage), r["stages"].get(f"apply:{s}")
                if "x_read" in info:
                    cells.append(f"{p['seconds']:.2f} + {a['seconds']:.2f} s ({info['x_read']:g}×)")
                else:
                    cells.append(_cell(p if p and "status" in p else a))
            line(f"{s}: propose + apply", cells)
            continue
        line(stage, [_cell(r["stages"].get(stage)) for r in rows])
    line("**pipeline** (read + build + team-branches + metrics+rules)",
         [_cell(r.get("pipeline")) for r in rows])
    line("peak memory of the pipeline", [f"{r['pipeline']['peak_mb']:,} MB" if r.get("pipeline") else "–" for r in rows])
    line("peak memory of the process", [f"{_process_peak(r):,} MB" for r in rows])
    line("slowest Graphviz call", [f"{r['graphviz']['slowest']['seconds']:.2f} s" if r.get("graphviz", {}).get("slowest")
                                  else "–" for r in rows])
    notes = {}
    for r in rows:
        for name, info in r.get("strategies", {}).items():
            if info.get("status", "").startswith(("cannot run", "failed")):
                notes.setdefault(name, info["status"])
    lines += [""] + [f"- {name}: {text}" for name, text in notes.items()]
    lines += [f"- {r['members']:,} members: the stages after the strategies were {r['later_stages']}"
              for r in rows if r.get("later_stages")]
    out = [intro, "", "\n".join(lines), "", "| target (1,000,000 members) | limit | measured | met |", "|---|---|---|---|"]
    for t in data["targets"]:
        met = "–" if t["met"] is None else ("yes" if t["met"] else "**no**")
        out.append(f"| {t['target']} | {t['limit']} | {t['measured']} | {met} |")
    return "\n".join(out)


def _cpu() -> str:
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as f:
            return next((ln.split(":", 1)[1].strip() for ln in f if ln.startswith("model name")), platform.processor())
    except OSError:
        return platform.processor()


def _memory_gb() -> float | None:
    try:
        return round(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30, 1)
    except (ValueError, OSError, AttributeError):
        return None


README = HERE.parent / "README.md"
BEGIN, END = "<!-- benchmarks/suite.py --readme: begin -->", "<!-- benchmarks/suite.py --readme: end -->"


def write_readme(tables: str) -> None:
    """Replace the suite's tables in README.md (between the two marker lines)."""
    text = README.read_text(encoding="utf-8")
    if BEGIN not in text or END not in text:
        raise SystemExit(f"README.md has no {BEGIN} ... {END} block")
    head, rest = text.split(BEGIN, 1)
    _, tail = rest.split(END, 1)
    README.write_text(f"{head}{BEGIN}\n{tables}\n{END}{tail}", encoding="utf-8")


# -- the command -----------------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--members", type=int, nargs="+", default=[10_000, 100_000, 1_000_000, 3_000_000])
    parser.add_argument("--time-limit", type=float, default=120.0,
                        help="seconds each strategy may take to propose and apply (default 120)")
    parser.add_argument("--pipeline-time-limit", type=float, default=900.0,
                        help=f"seconds {PIPELINE_STRATEGY} may take (the later stages need its result; default 900)")
    parser.add_argument("--stage-time-limit", type=float, default=900.0,
                        help="seconds any other stage may take (default 900)")
    parser.add_argument("--strategies", nargs="+", help="only these strategies (default: every first-party one)")
    parser.add_argument("--no-report", action="store_true", help="leave out the charts and the report")
    parser.add_argument("--out", type=Path, default=RESULTS, help=f"the JSON file (default {RESULTS.relative_to(HERE.parent)})")
    parser.add_argument("--table", action="store_true", help="print the Markdown tables of --out and stop")
    parser.add_argument("--readme", action="store_true", help="put the tables of --out into README.md and stop")
    parser.add_argument("--generate", nargs=2, metavar=("N", "FOLDER"), help=argparse.SUPPRESS)
    parser.add_argument("--generate-towns", nargs=2, metavar=("N", "FOLDER"), help=argparse.SUPPRESS)
    parser.add_argument("--measure", metavar="FOLDER", help=argparse.SUPPRESS)
    parser.add_argument("--towns", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--row", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)

    if args.generate:
        write_roster(Path(args.generate[1]), int(args.generate[0]))
        return 0
    if args.generate_towns:
        roster.write_roster(Path(args.generate_towns[1]), int(args.generate_towns[0]), towns=True)
        return 0
    if args.measure:
        row = measure_folder(Path(args.measure), strategies=args.strategies, time_limit=args.time_limit,
                             pipeline_limit=args.pipeline_time_limit, stage_limit=args.stage_time_limit,
                             report=not args.no_report, towns=args.towns)
        args.row.write_text(json.dumps(row, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
        return 0
    if args.table or args.readme:
        data = json.loads(args.out.read_text(encoding="utf-8"))
        data["targets"] = targets(data["rows"])
        text = markdown(data)
        if args.readme:
            write_readme(text)
        else:
            print(text)
        return 0

    started = dt.datetime.now(dt.timezone.utc)
    data: dict[str, Any] = {
        "suite": 1,
        "started": started.strftime("%Y-%m-%d %H:%M UTC"),
        "machine": {"arch": platform.machine(), "cpu": _cpu(), "cores": os.cpu_count(), "memory_gb": _memory_gb(),
                    "python": platform.python_version(), "system": platform.system()},
        "command": "python benchmarks/suite.py " + " ".join(argv if argv is not None else sys.argv[1:]),
        "time_limit_s": args.time_limit,
        "pipeline_time_limit_s": args.pipeline_time_limit,
        "stage_time_limit_s": args.stage_time_limit,
        "targets_at": TARGET_SIZE,
        "rows": [],
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    for n in args.members:  # the file is rewritten after each size: a long run leaves what it measured
        load_before = os.getloadavg()[0]
        row = run_size(n, args)
        row["load_average"] = [round(load_before, 2), round(os.getloadavg()[0], 2)]  # before and after
        derive(row)
        data["rows"].append(row)
        data["targets"] = targets(data["rows"])
        args.out.write_text(json.dumps(data, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    print(markdown(data))
    return 0


if __name__ == "__main__":
    sys.exit(main())
