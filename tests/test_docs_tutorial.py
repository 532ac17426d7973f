"""The plugin tutorial in docs/plugins.md works as written: its files are extracted and run."""

from __future__ import annotations

import importlib
import re
import subprocess
import sys
from pathlib import Path

import pytest

DOC = Path(__file__).resolve().parents[1] / "docs" / "plugins.md"


def tutorial_files() -> dict[str, str]:
    """Every python block of the tutorial that starts with a '# path' comment."""
    text = DOC.read_text(encoding="utf-8").split("## Discovery and control")[0]
    files = {}
    for block in re.findall(r"```python\n(.*?)```", text, re.S):
        first = block.splitlines()[0]
        if first.startswith("# ") and first.endswith(".py"):
            files[first[2:].strip()] = block
    return files


@pytest.fixture
def package(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    files = tutorial_files()
    assert set(files) == {"src/merge_small/strategy.py", "src/merge_small/plugin.py", "tests/test_strategy.py"}
    root = tmp_path / "merge-small"
    for rel, code in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(code, encoding="utf-8")
    (root / "src" / "merge_small" / "__init__.py").write_text("", encoding="utf-8")
    monkeypatch.syspath_prepend(str(root / "src"))
    monkeypatch.setenv("PYTHONPATH", str(root / "src"))
    for name in [m for m in sys.modules if m.startswith("merge_small")]:
        monkeypatch.delitem(sys.modules, name)
    return root


def test_tutorial_tests_pass_unchanged(package: Path) -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(package / "tests")],
        capture_output=True, text=True, timeout=300, cwd=package,
    )
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-2000:]
    assert "2 passed" in proc.stdout


def test_tutorial_strategy_runs_in_a_scenario(package: Path, tmp_path: Path) -> None:
    from orgmodel.run.engine import Engine
    from orgmodel.io.loader import load_scenario
    from orgmodel.plugin.host import PluginHost

    plugin = importlib.import_module("merge_small.plugin")
    variants = re.search(r"```yaml\n(variants:.*?)```", DOC.read_text(encoding="utf-8"), re.S).group(1)
    scenario = tmp_path / "s.yaml"
    scenario.write_text(
        "name: tutorial\ndomain: party\nbaseline:\n  units:\n"
        "    - {id: c, kind: party.working_committee}\n"
        "    - {id: b1, kind: party.branch, parent: c}\n"
        "    - {id: b2, kind: party.branch, parent: c}\n"
        "  members: [{id: m1, branch: b1}, {id: m2, branch: b1}, {id: m3, branch: b1}, {id: m4, branch: b2}]\n"
        + variants,
        encoding="utf-8",
    )
    engine = Engine(PluginHost({"merge-small": plugin}))
    result = engine.run(load_scenario(scenario))
    merged = result.variant("merged")
    assert merged.structure.member_ids_of("b1") == ["m1", "m2", "m3", "m4"]
    op = merged.steps[0].plan.operations[0]
    assert op.reason.render("zh", merged.steps[0].plan.templates) == "b2仅有1名党员（少于3人），并入b1"
