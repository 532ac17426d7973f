"""Write a run's results into a folder, whole or not at all.

Layout of the output folder (documented in docs/results.md)::

    run.json                          the index: scenario, domain pack, baseline, variants, steps, files
    metrics.csv                       one row a metric value, one column a variant (and baseline)
    findings.csv                      every rule finding of every variant
    variants/<name>/evaluation.json   metric values, findings and changes against the baseline
    variants/<name>/plan-<i>.json     the plan of each step (reviewable, re-appliable; when they are
                                      many, its moves in plan-<i>.moves.parquet and its operations
                                      in plan-<i>.operations.parquet beside it)
    variants/<name>/summary.json      counts of the variant's structure
    variants/<name>/units.json        the variant's units with their stored member counts and reasons
    variants/<name>/assignment.parquet  member id -> branch, group, and why the variant moved them
    simulation/                       when simulated: each variant over time, and the manifest
                                      (orgmodel.simulate.manifest.write_simulation)

The baseline is written like a variant, under the name ``baseline``. Everything is first
written to a temporary folder next to the destination, which then replaces the destination in
one rename; an error leaves the previous results untouched. :func:`load_results` reads a folder
back as a :class:`Results` (documented in docs/results.md).
"""

from __future__ import annotations

import csv
import gc
import io
import json
import shutil
import tempfile
from collections.abc import Callable, Iterator
from itertools import islice
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from orgmodel import __version__
from orgmodel.analysis.rules import count_findings
from orgmodel.analysis.summary import summarise
from orgmodel.files import replace_folder
from orgmodel.run.engine import RunResult
from orgmodel.run.evaluate import BASELINE, VariantEvaluation
from orgmodel.run.read import RESULTS_VERSION, Results, load_results
from orgmodel.run.tables import Assignment, UnitTable, unit_lines

if TYPE_CHECKING:
    from orgmodel.simulate.manifest import SimulationRun

__all__ = ["write_run", "RESULTS_VERSION", "SIMULATION_DIR", "write_units", "write_assignment", "load_results",
           "Results"]

#: The folder of a results folder that holds the simulation (docs/results.md).
SIMULATION_DIR = "simulation"


def write_run(
    result: RunResult,
    out: Path,
    evaluations: list[VariantEvaluation],
    *,
    simulation: SimulationRun | None = None,
    extra: Callable[[Path], object] | None = None,
) -> Path:
    """Write ``result`` and its evaluations to the folder ``out`` (replacing it whole).

    ``simulation``, when given, goes to ``simulation/`` with its manifest. ``extra(folder)`` may
    write more into the folder (the report) before it takes its place.
    """
    out = Path(out).resolve()
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.", dir=out.parent))
    by_name = {e.name: e for e in evaluations}
    spec = result.scenario.spec
    # the rows of units.json and the plans are many small objects that form no cycles; the cyclic
    # collector would walk them again and again (most of the time of writing at 100,000 members)
    collecting = gc.isenabled()
    gc.disable()
    try:
        index: dict[str, Any] = {
            "results_version": RESULTS_VERSION,
            "orgmodel": __version__,
            "scenario": {"name": spec.name, "file": str(result.scenario.path), "seed": spec.seed,
                         "domain": spec.domain, "description": spec.description,
                         "as_of": spec.as_of.isoformat() if spec.as_of else None,
                         "lang": spec.output.lang, "names": bool(spec.output.names),
                         "report": spec.report.model_dump(mode="json")},
            "domain_pack": result.baseline.kinds.pack.model_dump(mode="json"),
            "baseline": {"fingerprint": result.baseline.fingerprint},
            "variants": [],
        }
        entries = [(BASELINE, by_name[BASELINE].label, "", (), result.baseline)]
        entries += [(v.name, v.label or v.name, v.description, v.steps, v.structure) for v in result.variants]
        for name, label, description, steps, structure in entries:
            folder = tmp / "variants" / name
            folder.mkdir(parents=True)
            step_rows = []
            for step in steps:
                plan_file = f"plan-{step.index}.json"
                step.plan.save(folder / plan_file)  # many moves and operations go to Parquet files beside it
                step_rows.append({
                    "index": step.index, "kind": step.kind, "strategy": step.strategy,
                    "params": step.plan.params, "plan": f"variants/{name}/{plan_file}",
                    "operations": step.plan.counts(), "members_moved": len(step.plan.moves),
                })
            evaluation = by_name[name]
            if evaluation.units is None or evaluation.assignment is None:
                raise ValueError(f"evaluation of {name} has no unit table: make it with orgmodel.run.evaluate")
            _dump(folder / "summary.json", summarise(structure))
            _dump_lines(folder / "evaluation.json", {
                "values": [v.as_dict() for v in evaluation.values],
                "findings": [dict(f.as_dict(), text_zh=f.text("zh"), text_en=f.text("en")) for f in evaluation.findings],
                "changes": evaluation.changes,
            })
            write_units(evaluation.units, folder / "units.json")
            write_assignment(evaluation.assignment, folder / "assignment.parquet")
            index["variants"].append({
                "name": name, "label": label, "description": description, "steps": step_rows,
                "fingerprint": structure.fingerprint,
                "findings": dict(count_findings(evaluation.findings)),
                "files": {k: f"variants/{name}/{k}" for k in
                          ("summary.json", "evaluation.json", "units.json", "assignment.parquet")},
            })
        index["simulation"] = None
        if simulation is not None:
            simulation.write(tmp / SIMULATION_DIR)
            index["simulation"] = {"folder": SIMULATION_DIR, "manifest": f"{SIMULATION_DIR}/manifest.json",
                                   "variants": list(simulation.result.variants),
                                   "replications": int(simulation.result.values.shape[2]),
                                   "periods": len(simulation.result.dates) - 1}
        _dump(tmp / "run.json", index)
        (tmp / "metrics.csv").write_text(_metrics_csv(evaluations), encoding="utf-8")
        (tmp / "findings.csv").write_text(_findings_csv(evaluations), encoding="utf-8")
        if extra is not None:
            extra(tmp)
        replace_folder(tmp, out)
    finally:
        if collecting:
            gc.enable()
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)
    return out


def write_units(table: UnitTable, path: Path) -> None:
    """The unit table as JSON (``units.json``; its fields are documented in docs/results.md)."""
    _dump_lines(path, {"domain": table.kinds.name, "units": _Encoded(unit_lines(table))})


def write_assignment(assignment: Assignment, path: Path) -> None:
    """Every active member's branch, group and move reason, as Parquet (no personal data)."""
    a = assignment

    def text(values: np.ndarray) -> pa.Array:  # object arrays go to arrow directly, no Python list between
        return pa.array(np.asarray(values, dtype=object), pa.string())

    reasons = _reason_columns(a)
    table = pa.table({
        "member": text(a.member),
        "branch": text(a.branch),
        "group": text(a.group),
        "status": text(a.status).dictionary_encode(),
        "reason_op": pa.array(np.asarray(a.reason_op, dtype=np.int64), pa.int64()),
        "reason_code": reasons[0],
        "reason_zh": reasons[1],
        "reason_en": reasons[2],
    })
    pq.write_table(table, path)


def _reason_columns(a: Assignment) -> list[pa.Array]:
    """The reason columns dictionary-encoded as ``pa.array(column).dictionary_encode()`` gives them,
    without converting a text a member: what moved a member (``reason_op``, and whether anything
    did) decides its three reason texts, so the few distinct (op, moved) pairs are converted."""
    op = np.asarray(a.reason_op, dtype=np.int64)
    unmoved = np.equal(a.reason_code, None)
    key = (op + 1) * 2 + unmoved
    _, first, inverse = np.unique(key, return_index=True, return_inverse=True)
    inverse = inverse.reshape(-1)
    order = np.argsort(first, kind="stable")  # the distinct pairs in the order they first appear
    rank = np.empty(len(order), dtype=np.int64)
    rank[order] = np.arange(len(order))
    rows = first[order]
    out = []
    for column in (a.reason_code, a.reason_zh, a.reason_en):
        values = np.asarray(column, dtype=object)
        if len(values) and not np.all(values == values[first][inverse]):  # checked, not assumed
            out.append(pa.array(values, pa.string()).dictionary_encode())
            continue
        encoded = pa.array(values[rows], pa.string()).dictionary_encode()
        indices = encoded.indices.take(pa.array(rank[inverse]))
        out.append(pa.DictionaryArray.from_arrays(indices, encoded.dictionary))
    return out


def _metrics_csv(evaluations: list[VariantEvaluation]) -> str:
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(["metric", "label_zh", "label_en", "unit", "direction"] + [e.name for e in evaluations])
    names: list[str] = []
    meta: dict[str, Any] = {}
    for e in evaluations:
        for v in e.values:
            if v.name not in meta:
                names.append(v.name)
                meta[v.name] = v
    values = [{v.name: v.value for v in e.values} for e in evaluations]
    for name in names:
        v = meta[name]
        row = [name, v.label_zh, v.label_en, v.unit, v.direction]
        row += [_num(vals.get(name)) for vals in values]
        writer.writerow(row)
    return buf.getvalue()


def _findings_csv(evaluations: list[VariantEvaluation]) -> str:
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(["variant", "rule", "severity", "status", "unit", "unit_name", "value", "threshold", "title_zh", "source"])
    for e in evaluations:
        for f in e.findings:
            writer.writerow([e.name, f.rule, f.severity, f.status, f.unit or "", f.unit_name or "",
                             _num(f.value), f.threshold, f.title_zh, f.source])
    return buf.getvalue()


def _num(value: float | None) -> str:
    """A number for CSV without losing digits ("{:g}" turns 1234567 into 1.23457e+06)."""
    if value is None:
        return ""
    if float(value).is_integer():
        return str(int(value))
    return repr(float(value))


class _Encoded(list):  # type: ignore[type-arg]
    """Items already encoded as JSON text (each as ``json.dumps(item, ensure_ascii=False)`` gives it)."""


#: ``json.dumps(..., ensure_ascii=False)``, with its encoder made once
_encode = json.JSONEncoder(ensure_ascii=False).encode


def _dump_lines(path: Path, data: dict[str, Any]) -> None:
    """Large JSON: each item of a top-level (or second-level) list on a line of its own (readable
    in a diff, and written by the fast encoder), streamed to the file a few thousand items at a time."""
    def items(value: list[Any], indent: str) -> Iterator[str]:
        sep = f",\n{indent} "
        encoded = iter(value if isinstance(value, _Encoded) else map(_encode, value))
        yield f"[\n{indent} "
        first = True
        while chunk := list(islice(encoded, 4096)):
            if not first:
                yield sep
            yield sep.join(chunk)
            first = False
        yield f"\n{indent}]"

    def block(value: Any, indent: str) -> Iterator[str]:
        if isinstance(value, list) and value:
            yield from items(value, indent)
        elif isinstance(value, dict) and value and indent == "":
            yield "{\n "
            for i, (k, v) in enumerate(value.items()):
                if i:
                    yield ",\n "
                yield f"{json.dumps(k)}: "
                yield from block(v, "  ")
            yield "\n}"
        else:
            yield _encode(value)

    with path.open("w", encoding="utf-8") as f:
        f.write("{\n")
        for i, (k, v) in enumerate(data.items()):
            f.write(f"{',' + chr(10) if i else ''} {json.dumps(k)}: ")
            f.writelines(block(v, " " if not isinstance(v, dict) else ""))
        f.write("\n}\n")


def _dump(path: Path, data: Any) -> None:
    path.write_text(json.dumps(data, ensure_ascii=False, indent=1, sort_keys=False) + "\n", encoding="utf-8")
