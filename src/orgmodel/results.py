"""Write a run's results into a folder, whole or not at all.

Layout of the output folder::

    run.json                       scenario, baseline fingerprint and summary, one entry a variant
    variants/<name>/plan-<i>.json  the plan of each step (reviewable, re-appliable)
    variants/<name>/summary.json   counts of the variant's final structure

Everything is first written to a temporary folder next to the destination, which then replaces
the destination in one rename; an error leaves the previous results untouched.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from pathlib import Path
from typing import Any

from . import __version__
from .engine import RunResult
from .summary import summarise

__all__ = ["write_run", "RESULTS_VERSION"]

RESULTS_VERSION = 1


def write_run(result: RunResult, out: Path) -> Path:
    """Write ``result`` to the folder ``out`` (replacing it whole); returns ``out``."""
    out = Path(out).resolve()
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.", dir=out.parent))
    try:
        index: dict[str, Any] = {
            "results_version": RESULTS_VERSION,
            "orgmodel": __version__,
            "scenario": {"name": result.scenario.spec.name, "file": str(result.scenario.path)},
            "baseline": {"fingerprint": result.baseline.fingerprint, "summary": summarise(result.baseline)},
            "variants": [],
        }
        for variant in result.variants:
            folder = tmp / "variants" / variant.name
            folder.mkdir(parents=True)
            steps = []
            for step in variant.steps:
                name = f"plan-{step.index}.json"
                (folder / name).write_text(step.plan.to_json(), encoding="utf-8")
                steps.append({
                    "index": step.index,
                    "kind": step.kind,
                    "strategy": step.strategy,
                    "plan": f"variants/{variant.name}/{name}",
                    "operations": step.plan.counts(),
                    "members_moved": len(step.plan.transfers()),
                    "fingerprint": step.structure.fingerprint,
                })
            summary = summarise(variant.structure)
            _dump(folder / "summary.json", summary)
            index["variants"].append({
                "name": variant.name,
                "label": variant.label,
                "description": variant.description,
                "steps": steps,
                "fingerprint": variant.structure.fingerprint,
                "summary": f"variants/{variant.name}/summary.json",
            })
        _dump(tmp / "run.json", index)
        _swap(tmp, out)
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)
    return out


def _dump(path: Path, data: Any) -> None:
    path.write_text(json.dumps(data, ensure_ascii=False, indent=1, sort_keys=False) + "\n", encoding="utf-8")


def _swap(new: Path, out: Path) -> None:
    """Put folder ``new`` where ``out`` is, keeping the old one until the new one is in place."""
    old = None
    if out.exists():
        old = out.with_name(f".{out.name}.old-{os.getpid()}")
        out.rename(old)
    try:
        new.rename(out)
    except OSError:
        if old is not None:
            old.rename(out)
        raise
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)
