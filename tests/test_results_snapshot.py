"""Every ready scenario gives the metric values and rule findings recorded in tests/snapshots/.

The snapshots were written before the pipeline was reorganised around the results folder, so that a
change of structure cannot change a result unnoticed. A change that is meant to change a result
(a bug fixed, a rule corrected) rewrites the snapshot with
``python tests/test_results_snapshot.py --write`` and says why in its commit.
"""

from __future__ import annotations

import csv
import math
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SNAPSHOTS = Path(__file__).resolve().parent / "snapshots"
SCENARIOS = sorted(p.parent.name for p in (ROOT / "scenarios").glob("*/scenario.yaml"))
FINDING_KEYS = ("variant", "rule", "severity", "status", "unit", "value", "threshold")


def _run(folder: str, out: Path) -> tuple[dict[tuple[str, str], str], list[tuple[str, ...]]]:
    from orgmodel.cli import main

    assert main(["run", str(ROOT / "scenarios" / folder / "scenario.yaml"), "--no-report", "--no-simulate", "--out", str(out)]) == 0
    return _read(out)


def _read(folder: Path) -> tuple[dict[tuple[str, str], str], list[tuple[str, ...]]]:
    with open(folder / "metrics.csv", encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f))
    meta = {"metric", "label_zh", "label_en", "unit", "direction"}
    metrics = {(r["metric"], k): v for r in rows for k, v in r.items() if k not in meta}
    with open(folder / "findings.csv", encoding="utf-8", newline="") as f:
        findings = sorted(tuple(r[k] for k in FINDING_KEYS) for r in csv.DictReader(f))
    return metrics, findings


def _same(a: str, b: str) -> bool:
    if a == b:
        return True
    try:
        return math.isclose(float(a), float(b), rel_tol=1e-9, abs_tol=1e-9)
    except ValueError:
        return False


@pytest.mark.parametrize("folder", SCENARIOS)
def test_results_match_the_snapshot(folder: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    metrics, findings = _run(folder, tmp_path)
    want_metrics, want_findings = _read(SNAPSHOTS / folder)
    differ = sorted(k for k in set(metrics) | set(want_metrics)
                    if not _same(metrics.get(k, "<missing>"), want_metrics.get(k, "<missing>")))
    assert not differ, f"{folder}: metric values differ from the snapshot: " + ", ".join(
        f"{m}@{v}: {want_metrics.get((m, v))!r} -> {metrics.get((m, v))!r}" for m, v in differ[:20])
    assert findings == want_findings, f"{folder}: findings differ from the snapshot"


def write_snapshots() -> None:  # pragma: no cover - run by hand
    import shutil
    import tempfile

    for folder in SCENARIOS:
        out = Path(tempfile.mkdtemp())
        _run(folder, out / "run")
        target = SNAPSHOTS / folder
        target.mkdir(parents=True, exist_ok=True)
        for name in ("metrics.csv", "findings.csv"):
            shutil.copyfile(out / "run" / name, target / name)
        shutil.rmtree(out)
        print(f"wrote {target}")


if __name__ == "__main__":  # pragma: no cover
    if sys.argv[1:] == ["--write"]:
        write_snapshots()
    else:
        sys.exit("usage: python tests/test_results_snapshot.py --write")
