"""Benchmark: each first-party strategy's propose, against reading the same roster with pyarrow.

For each size, in one process: write a roster with the population generator (as
``bench_build.py`` does), read every table with pyarrow alone (the reference), build the
Structure once, then let every first-party strategy propose with its defaults (roles included)
on it, each timed on its own (with the rules the party domain puts in force, which give
some strategies their default parameters). Each propose is printed in seconds and as a ratio to the read of
the same roster in the same run; ``--apply`` also times applying each plan; ``--hash`` records
each plan's SHA-256 (of ``Plan.to_json()``, untimed), to show a speed change leaves plans as they were.

A propose that runs longer than ``--limit`` seconds is stopped and reported as over the limit.

``--roster towns`` measures the strategies of ``roster.TOWN_STRATEGIES`` on the towns roster
(villages, associations, small firms, an agency), each with the parameters its scenario names.

Usage: ``python benchmarks/bench_propose.py [--members 100000 1000000] [--roster plain courtyards towns] [--strategy NAME ...]
[--limit 300] [--apply] [--hash]``. Writes ``benchmarks/results/propose.json``.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import platform
import signal
import sys
import tempfile
import time
from functools import partial
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_build import _all_text, peak_rss_mb, write_roster  # noqa: E402
from roster import TOWN_STRATEGIES, strategy_params  # noqa: E402

from orgmodel.errors import UserError  # noqa: E402

FIRST_PARTY = "orgmodel-seed-strategies"


class _OverLimit(Exception):
    pass


def _on_alarm(signum, frame):  # noqa: ANN001, ANN202, ARG001
    raise _OverLimit


ROSTERS = {"plain": write_roster, "courtyards": partial(write_roster, courtyards=True),  # courtyards of 4 buildings
           "towns": partial(write_roster, towns=True)}


def read_every_table(folder: Path) -> float:
    """Seconds to read every CSV table of the roster with pyarrow, every column as text (best of 3)."""
    import pyarrow.csv as pacsv

    best = float("inf")
    for _ in range(3):
        t0 = time.perf_counter()
        for path in sorted(folder.glob("*.csv")):
            pacsv.read_csv(path, convert_options=pacsv.ConvertOptions(column_types=_all_text(path)))
        best = min(best, time.perf_counter() - t0)
    return best


def first_party_strategies(host) -> list:  # noqa: ANN001
    """Every strategy of the first-party seed strategies pack, in its registry order."""
    from orgmodel_seed_strategies.registry import strategies

    names = [type(s).name for s in strategies()]
    return [host.strategies().get(name) for name in names]


def _timed(fn, limit: float):  # noqa: ANN001, ANN202
    """(seconds, result) of ``fn()``; (None, None) when it ran over ``limit`` seconds."""
    signal.signal(signal.SIGALRM, _on_alarm)
    signal.setitimer(signal.ITIMER_REAL, limit)
    t0 = time.perf_counter()
    try:
        result = fn()
    except _OverLimit:
        return None, None
    except UserError as exc:  # the roster lacks what the strategy works on
        return None, str(exc)
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
    return time.perf_counter() - t0, result


def run_size(members: int, names: list[str] | None, limit: float, with_apply: bool, roster: str = "plain",
             with_hash: bool = False) -> list[dict]:
    from orgmodel.analysis.rulebook import domain_rule_book
    from orgmodel.io.loader import build_baseline, load_scenario
    from orgmodel.model.apply import apply
    from orgmodel.plugin.host import PluginHost

    host = PluginHost()
    host.domain_pack("party")  # load plugins outside the timed part
    rules = domain_rule_book("party", host)
    strategies = [s for s in first_party_strategies(host) if (not names or s.name in names)
                  and (roster != "towns" or s.name in TOWN_STRATEGIES)]
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        scenario_path = ROSTERS[roster](folder, members)
        read_s = read_every_table(folder)
        scenario = load_scenario(scenario_path)
        base = build_baseline(scenario, host)
        params_of = strategy_params(scenario)
        print(f"roster={roster} members={members} units={base.n_units} read_every_table_s={read_s:.3f}", flush=True)
        for strategy in strategies:
            def propose():  # noqa: ANN202
                return strategy.propose_on(base, params_of.get(strategy.name, {}), seed=0, rules=rules, variant="bench",
                                           step=0)

            propose_s, plan = _timed(propose, limit)
            row: dict = {"roster": roster, "members": members, "strategy": strategy.name, "read_every_table_s": round(read_s, 3)}
            if propose_s is None and plan is not None:
                row.update(propose_s=None, not_applicable=plan)
            elif propose_s is None:
                row.update(propose_s=None, over_limit_s=limit)
            else:
                counts = plan.counts()
                row.update(propose_s=round(propose_s, 3), propose_x_read=round(propose_s / read_s, 2),
                           operations=sum(v for k, v in counts.items() if k != "move_members"),
                           set_role=counts.get("set_role", 0), moves=len(plan.moves))
                if with_hash:
                    row["plan_sha256"] = hashlib.sha256(plan.to_json().encode()).hexdigest()
                if with_apply:
                    apply_s, _ = _timed(lambda: apply(base, plan, variant="bench", step=0), limit)
                    row["apply_s"] = None if apply_s is None else round(apply_s, 3)
                    if apply_s is not None:
                        row["propose_apply_x_read"] = round((propose_s + apply_s) / read_s, 2)
            row["peak_rss_mb"] = round(peak_rss_mb())
            rows.append(row)
            print("  " + " ".join(f"{k}={v}" for k, v in row.items() if k not in ("roster", "members", "read_every_table_s")),
                  flush=True)
    return rows


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--members", type=int, nargs="+", default=[100_000, 1_000_000])
    parser.add_argument("--strategy", nargs="*", default=None, help="only these strategies (default: all)")
    parser.add_argument("--limit", type=float, default=300.0, help="seconds before a propose is stopped")
    parser.add_argument("--apply", action="store_true", help="also time applying each plan")
    parser.add_argument("--hash", action="store_true", help="record each plan's SHA-256 (untimed)")
    parser.add_argument("--roster", nargs="+", choices=sorted(ROSTERS), default=["plain", "courtyards"],
                        help="plain: bench_build's roster; courtyards: the same with buildings in courtyards")
    parser.add_argument("--out", type=Path, default=Path(__file__).parent / "results" / "propose.json")
    args = parser.parse_args(argv)
    rows = []
    for n in args.members:
        for roster in args.roster:
            rows += run_size(n, args.strategy, args.limit, args.apply, roster, args.hash)
    result = {
        "sizes": rows,
        "python": sys.version.split()[0],
        "machine": f"{platform.machine()}, {__import__('os').cpu_count()} cores",
    }
    args.out.parent.mkdir(exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    return result


if __name__ == "__main__":
    main()
