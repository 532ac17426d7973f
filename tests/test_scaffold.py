"""``orgmodel new-plugin``: the package it writes installs, is found, runs, and passes its own tests."""

from __future__ import annotations

import importlib.metadata
import importlib.util
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from orgmodel import cli

FILES = [
    "README.md",
    "pyproject.toml",
    "src/demo_strategy/__init__.py",
    "src/demo_strategy/plugin.py",
    "src/demo_strategy/strategy.py",
    "tests/test_strategy.py",
]


def run(capsys: pytest.CaptureFixture[str], *args: str | Path) -> tuple[int, str, str]:
    code = cli.main([str(a) for a in args])
    out, err = capsys.readouterr()
    return code, out, err


def test_new_plugin_writes_the_package(capsys, tmp_path):
    code, out, err = run(capsys, "new-plugin", "demo-strategy", "--dir", tmp_path)
    assert (code, err) == (0, "")
    folder = tmp_path / "demo-strategy"
    assert f"wrote {folder}" in out
    assert sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file()) == FILES
    pyproject = (folder / "pyproject.toml").read_text(encoding="utf-8")
    assert '[project.entry-points.orgmodel]\ndemo-strategy = "demo_strategy.plugin"' in pyproject
    assert 'name = "demo-strategy"' in pyproject
    assert os.listdir(tmp_path) == ["demo-strategy"]  # no temporary folder left behind
    for path in folder.rglob("*.py"):
        compile(path.read_text(encoding="utf-8"), str(path), "exec")


@pytest.mark.parametrize("name", ["Demo", "demo_strategy", "1demo", "-demo", "demo-", "demo--strategy", "demo strategy", "démo"])
def test_new_plugin_refuses_bad_names(capsys, tmp_path, name):
    code, out, err = run(capsys, "new-plugin", "--dir", tmp_path, "--", name)  # "--": "-demo" is a name
    assert code == 2, (out, err)
    assert err.startswith(f"error: plugin name {name!r}") and err.count("\n") == 1
    assert os.listdir(tmp_path) == []


def test_new_plugin_refuses_an_existing_folder(capsys, tmp_path):
    (tmp_path / "demo-strategy").mkdir()
    (tmp_path / "demo-strategy" / "mine.txt").write_text("keep me", encoding="utf-8")
    code, _, err = run(capsys, "new-plugin", "demo-strategy", "--dir", tmp_path)
    assert code == 2
    assert "exists already" in err and err.count("\n") == 1
    assert os.listdir(tmp_path / "demo-strategy") == ["mine.txt"]
    assert os.listdir(tmp_path) == ["demo-strategy"]


def test_new_plugin_refuses_a_missing_parent_folder(capsys, tmp_path):
    code, _, err = run(capsys, "new-plugin", "demo-strategy", "--dir", tmp_path / "nowhere")
    assert code == 2
    assert "does not exist" in err
    assert not (tmp_path / "nowhere").exists()


SCENARIO = """\
name: capped
domain: party
baseline:
  units:
    - {id: c, kind: party.working_committee, name: 党工委}
    - {id: big, kind: party.branch, name: 大支部, parent: c}
    - {id: small, kind: party.branch, name: 小支部, parent: c}
  members:
%s
variants:
  - name: capped
    steps:
      - strategy: demo-strategy
        params: {max_size: 20}
"""


def _can_build_wheels() -> bool:
    """pip --no-build-isolation needs bdist_wheel: setuptools >= 70.1 or the wheel package."""
    if importlib.util.find_spec("wheel") is not None:
        return True
    try:
        version = importlib.metadata.version("setuptools")
    except importlib.metadata.PackageNotFoundError:
        return False
    major, minor = (int(x) for x in version.split(".")[:2])
    return (major, minor) >= (70, 1)


def _sh(args: list[str], *, env: dict[str, str], cwd: Path, timeout: int = 120) -> subprocess.CompletedProcess[str]:
    proc = subprocess.run(args, env=env, cwd=cwd, capture_output=True, text=True, timeout=timeout)
    assert proc.returncode == 0, f"{' '.join(args)} exited {proc.returncode}\n{proc.stdout}\n{proc.stderr}"
    return proc


@pytest.mark.skipif(
    not _can_build_wheels(),
    reason="this environment cannot build wheels without build isolation: "
    "needs setuptools>=70.1 or the 'wheel' package next to pip",
)
def test_slow_generated_plugin_installs_is_listed_runs_and_passes_its_own_tests(capsys, tmp_path):
    assert run(capsys, "new-plugin", "demo-strategy", "--dir", tmp_path)[0] == 0
    package = tmp_path / "demo-strategy"
    site = tmp_path / "site"

    # install it, without touching the project's virtual environment
    _sh(
        [sys.executable, "-m", "pip", "install", "--quiet", "--disable-pip-version-check", "--no-deps",
         "--no-build-isolation", "--target", str(site), str(package)],
        env=dict(os.environ), cwd=tmp_path,
    )
    assert (site / "demo_strategy" / "plugin.py").is_file()

    env = dict(os.environ, PYTHONPATH=os.pathsep.join(filter(None, [str(site), os.environ.get("PYTHONPATH")])))
    env.pop("ORGMODEL_DISABLE_AUTOLOAD", None)
    orgmodel = [sys.executable, "-c", "import sys; from orgmodel.cli import main; sys.exit(main(sys.argv[1:]))"]

    # found through its entry point
    listing = _sh([*orgmodel, "plugins", "--hook", "register_strategies"], env=env, cwd=tmp_path).stdout
    assert "demo-strategy 0.1.0" in listing
    assert "register_strategies: demo-strategy" in listing
    rows = {r["name"]: r for r in json.loads(_sh([*orgmodel, "plugins", "--json"], env=env, cwd=tmp_path).stdout)}
    assert rows["demo-strategy"]["hooks"] == ["register_strategies"]
    assert "entry point" in rows["demo-strategy"]["source"]

    # chosen by name in a scenario, with its parameters
    members = [f"    - {{id: m{i:02d}, branch: big}}" for i in range(45)]
    members += [f"    - {{id: s{i}, branch: small}}" for i in range(3)]
    (tmp_path / "s.yaml").write_text(SCENARIO % "\n".join(members), encoding="utf-8")
    _sh([*orgmodel, "run", "s.yaml", "--out", "out"], env=env, cwd=tmp_path)
    index = json.loads((tmp_path / "out" / "run.json").read_text(encoding="utf-8"))
    [baseline, variant] = index["variants"]
    assert baseline["name"] == "baseline"
    assert variant["steps"][0]["strategy"] == "demo-strategy"
    summary = json.loads((tmp_path / "out" / variant["files"]["summary.json"]).read_text(encoding="utf-8"))
    assert summary["branches"]["max"] <= 20
    assert summary["branches"]["count"] == 4  # big (45) -> 20 + 20 + 5, small untouched
    assert summary["members"]["active"] == 48
    plan = json.loads((tmp_path / "out" / variant["steps"][0]["plan"]).read_text(encoding="utf-8"))
    assert plan["params"] == {"max_size": 20}

    # a bad parameter is refused at its line
    bad = (tmp_path / "s.yaml").read_text(encoding="utf-8").replace("max_size: 20", "max_size: 0")
    (tmp_path / "bad.yaml").write_text(bad, encoding="utf-8")
    proc = subprocess.run([*orgmodel, "run", "bad.yaml", "--out", "bad-out"], env=env, cwd=tmp_path,
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 2, proc.stderr
    assert "variants[0].steps[0].params.max_size" in proc.stderr
    assert not (tmp_path / "bad-out").exists()

    # its own tests (the contract kit included) pass
    proc = subprocess.run(
        [sys.executable, "-m", "pytest", str(package / "tests"), "-q", "-p", "no:cacheprovider"],
        env=env, cwd=tmp_path, capture_output=True, text=True, timeout=300,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "3 passed" in proc.stdout


def test_generated_plugin_links_to_no_package_index(capsys, tmp_path):
    assert run(capsys, "new-plugin", "demo-strategy", "--dir", tmp_path)[0] == 0
    for path in (tmp_path / "demo-strategy").rglob("*"):
        if path.is_file():
            text = path.read_text(encoding="utf-8")
            assert "pypi" not in text.lower() and "http" not in text, path.name


def _generated_strategy(capsys, tmp_path, monkeypatch):
    assert run(capsys, "new-plugin", "demo-strategy", "--dir", tmp_path)[0] == 0
    monkeypatch.syspath_prepend(str(tmp_path / "demo-strategy" / "src"))
    for name in [m for m in sys.modules if m.startswith("demo_strategy")]:
        monkeypatch.delitem(sys.modules, name)
    return importlib.import_module("demo_strategy.strategy").CapBranchSize()


def _one_branch(n: int, n_full: int):
    from orgmodel import Structure
    from orgmodel.testing_data import toy_kinds

    return Structure.from_records(
        toy_kinds(),
        units=[{"id": "c", "kind": "toy.committee", "name": "委员会"},
               {"id": "b", "kind": "toy.branch", "name": "大支部", "parent": "c"}],
        members=[{"id": f"m{i:02d}", "branch": "b", "status": "full" if i < n_full else "probationary"}
                 for i in range(n)],
    )


def test_generated_strategy_balances_parts_and_keeps_the_founding_minimum(capsys, tmp_path, monkeypatch):
    from orgmodel import apply

    strategy = _generated_strategy(capsys, tmp_path, monkeypatch)
    s = _one_branch(31, 31)  # a cut at 30 would leave a branch of 1
    after = apply(s, strategy.propose_on(s, {"max_size": 30}))
    assert sorted(after.size(u) for u in after.unit_ids("toy.branch")) == [15, 16]
    plan = strategy.propose_on(s, {"max_size": 30})
    assert "大支部有31名党员" in plan.operations[0].reason.render("zh", plan.templates)  # the name, not the id

    s = _one_branch(40, 7)  # 7 full members: two parts of at least 3, not the three that 40/20 would need
    after = apply(s, strategy.propose_on(s, {"max_size": 15}))
    branches = after.unit_ids("toy.branch")
    assert len(branches) == 2 and min(after.size(u, full_only=True) for u in branches) >= 3

    s = _one_branch(40, 4)  # too few full members to found a second branch: left alone
    assert strategy.propose_on(s, {"max_size": 20}).operations == []
