"""Reproducible runs: the manifest a simulation writes, and a rerun that checks it reproduces.

A manifest (``manifest.json`` beside the simulation's files) records what the numbers depend on:
the scenario file's and every roster's SHA-256, the versions of orgmodel, Python, numpy and every
plugin, the simulation spec as run (model, parameters, sweep, replications, base seed and the
rule that derives each replication's seed), the executor, and the SHA-256 of every file written.
The only field that differs between two runs of the same inputs is ``created`` (listed under
``timestamps``). :func:`rerun` reads a manifest, refuses when an input or a version changed,
simulates again (on any executor: the numbers do not depend on it) and compares the files.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import platform
import tempfile
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from orgmodel.errors import UserError
from orgmodel.simulate.result import SimulationResult
from orgmodel.simulate.spec import SimulationSpec

__all__ = ["MANIFEST", "build_manifest", "write_simulation", "read_manifest", "rerun", "RerunReport",
           "scenario_hashes", "SimulationRun", "manifest_scenario"]

MANIFEST = "manifest.json"
MANIFEST_FORMAT = "orgmodel-simulation-manifest/1"
SEED_RULE = "orgmodel.simulate.replicate.replication_seed(base_seed, variant, replication)"


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with Path(path).open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return "sha256:" + h.hexdigest()


def scenario_hashes(scenario_path: str | Path) -> dict[str, Any]:
    """SHA-256 of a scenario file and of every roster file it names (inline tables are in the file)."""
    from orgmodel.io.loader import load_scenario
    from orgmodel.io.scenario import TABLES, TableSource

    path = Path(scenario_path)
    scenario = load_scenario(path)
    rosters = {}
    for name in TABLES:
        source = getattr(scenario.spec.baseline, name, None)
        if isinstance(source, TableSource):
            rosters[name] = {"file": source.file, "sha256": _sha256(scenario.folder / source.file)}
    return {"file": path.name, "sha256": _sha256(path), "rosters": rosters}


def build_manifest(*, spec: SimulationSpec, result: SimulationResult, files: Mapping[str, Path],
                   start: dt.date, executor: str, workers: int | None = None, scheduler: str | None = None,
                   scenario_path: str | Path | None = None, manifest_dir: str | Path | None = None,
                   plugins=None) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    """The manifest of one simulation (see the module docstring)."""
    import orgmodel

    scenario: dict[str, Any] | None = None
    if scenario_path is not None:
        scenario = scenario_hashes(scenario_path)
        base = Path(manifest_dir) if manifest_dir is not None else Path.cwd()
        scenario["path"] = os.path.relpath(Path(scenario_path).resolve(), base.resolve())
    described = [] if plugins is None else [
        {"name": p.name, "version": p.version, "source": p.source.split(" (")[0]} for p in plugins.describe()]
    return {
        "format": MANIFEST_FORMAT,
        "created": dt.datetime.now(dt.timezone.utc).replace(microsecond=0).isoformat(),
        "timestamps": ["created"],
        "scenario": scenario,
        "versions": {"orgmodel": orgmodel.__version__, "python": platform.python_version(), "numpy": np.__version__,
                     "plugins": described},
        "simulation": spec.model_dump(mode="json"),
        "start": start.isoformat(),
        "seeds": {"base_seed": str(result.base_seed), "rule": SEED_RULE, "variants": list(result.variants),
                  "replications": int(result.values.shape[2])},
        "executor": {"name": executor, "workers": workers, "scheduler": scheduler},
        "files": {name: _sha256(path) for name, path in sorted(files.items())},
    }


def write_simulation(result: SimulationResult, folder: str | Path, *, spec: SimulationSpec, start: dt.date,
                     executor: str,
                     workers: int | None = None, scheduler: str | None = None,
                     scenario_path: str | Path | None = None, plugins=None) -> Path:  # type: ignore[no-untyped-def]
    """Write the result and its manifest into ``folder``, whole or not at all.

    Everything is written into a temporary folder beside ``folder`` and moved in place at the end,
    so an interrupted run (Ctrl-C) leaves the previous folder, or none, never half of one.
    """
    from orgmodel.files import replace_folder

    folder = Path(folder)
    folder.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{folder.name}.", dir=folder.parent))
    try:
        paths = result.write(tmp)
        manifest = build_manifest(spec=spec, result=result, files={p.name: p for p in paths}, start=start,
                                  executor=executor,
                                  workers=workers, scheduler=scheduler, scenario_path=scenario_path,
                                  manifest_dir=folder, plugins=plugins)
        (tmp / MANIFEST).write_text(json.dumps(manifest, ensure_ascii=False, indent=1, sort_keys=True) + "\n",
                                    encoding="utf-8")
        replace_folder(tmp, folder)
    except BaseException:
        import shutil

        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return folder


@dataclass(frozen=True)
class SimulationRun:
    """A finished simulation with what its manifest records: written by :meth:`write`.

    The results writer (:func:`orgmodel.run.results.write_run`) writes it into the results
    folder's ``simulation/``.
    """

    result: SimulationResult
    spec: SimulationSpec
    start: dt.date
    executor: str
    workers: int | None = None
    scheduler: str | None = None
    scenario_path: Path | None = None
    plugins: Any = None

    def write(self, folder: str | Path) -> Path:
        """The result files and the manifest into ``folder``, whole or not at all."""
        return write_simulation(self.result, folder, spec=self.spec, start=self.start, executor=self.executor,
                                workers=self.workers, scheduler=self.scheduler, scenario_path=self.scenario_path,
                                plugins=self.plugins)


def read_manifest(path: str | Path) -> dict[str, Any]:
    """A manifest file (or the manifest of a simulation folder); a UserError when it is not one."""
    path = Path(path)
    if path.is_dir():
        path = path / MANIFEST
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise UserError(f"{path}: no such manifest") from None
    except json.JSONDecodeError as exc:
        raise UserError(f"{path}:{exc.lineno}: not a manifest: {exc.msg}") from None
    if not isinstance(data, dict) or data.get("format") != MANIFEST_FORMAT:
        raise UserError(f"{path}: not a simulation manifest (format {MANIFEST_FORMAT!r} expected)")
    return data


@dataclass(frozen=True)
class RerunReport:
    """What a rerun produced: its folder, and every file that differs from the manifest's."""

    folder: Path
    differences: tuple[str, ...]

    @property
    def identical(self) -> bool:
        return not self.differences


def rerun(manifest_path: str | Path, out: str | Path | None = None, *, executor: str | None = None,
          workers: int | None = None, scheduler: str | None = None, plugins=None,  # type: ignore[no-untyped-def]
          structures: Callable[[Any, Any], Mapping[str, Any]] | None = None,
          progress: Callable[[int, int], None] | None = None, cancel: Callable[[], bool] | None = None,
          force: bool = False) -> RerunReport:
    """Simulate again from a manifest and compare every file with the manifest's hashes.

    Refuses (a UserError naming the file or version) when the scenario, a roster, orgmodel or a
    plugin changed, unless ``force``. ``out`` defaults to the manifest's folder with ``-rerun``
    added. ``structures(scenario, plugins)`` gives the variants' structures (default: the engine
    applies the scenario's variants). The executor may differ from the recorded one.
    """
    from orgmodel.analysis.rulebook import rule_book_for
    from orgmodel.io.loader import load_scenario
    from orgmodel.plugin.host import PluginHost
    from orgmodel.simulate.run import simulate
    from orgmodel.simulate.sweep import has_strategy_sweep, strategy_structures

    manifest_path = Path(manifest_path)
    folder = manifest_path if manifest_path.is_dir() else manifest_path.parent
    manifest = read_manifest(manifest_path)
    scenario_path = manifest_scenario(manifest_path)
    host = plugins if plugins is not None else PluginHost()
    problems = _changed_inputs(manifest, scenario_path, host)
    if problems and not force:
        raise UserError(f"cannot reproduce {manifest_path}: {problems[0]}"
                        + (f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""))
    scenario = load_scenario(scenario_path)
    variants = manifest["seeds"]["variants"]
    structs = (structures or _variant_structures)(scenario, host)
    missing = [v for v in variants if v not in structs]
    if missing:
        raise UserError(f"cannot reproduce {manifest_path}: variant {missing[0]} is no longer in the scenario")
    spec = SimulationSpec.model_validate(manifest["simulation"])
    recorded = manifest["executor"]
    start = dt.date.fromisoformat(manifest["start"])
    chosen = {v: structs[v] for v in variants}
    points = strategy_structures(scenario, spec, chosen, plugins=host, baseline=structs.get("baseline"),
                                 check=None) if has_strategy_sweep(spec) else None
    result = simulate(chosen, spec, start=start,
                      plugins=host, rules=rule_book_for(scenario, host),
                      approvals=[(a.unit, a.rule) for a in scenario.spec.rules.approvals],
                      scenario_seed=scenario.spec.seed, executor=executor or recorded["name"],
                      workers=workers or recorded.get("workers"), scheduler=scheduler or recorded.get("scheduler"),
                      progress=progress, cancel=cancel, point_structures=points)
    target = Path(out) if out is not None else folder.with_name(folder.name + "-rerun")
    write_simulation(result, target, spec=spec, start=start, executor=executor or recorded["name"], workers=workers,
                     scheduler=scheduler, scenario_path=scenario_path, plugins=host)
    new = read_manifest(target)
    differences = [name for name in sorted(set(manifest["files"]) | set(new["files"]))
                   if manifest["files"].get(name) != new["files"].get(name)]
    return RerunReport(folder=target, differences=tuple(differences))


def manifest_scenario(manifest_path: str | Path) -> Path:
    """The scenario file a manifest records (its path is stored relative to the manifest's folder)."""
    manifest_path = Path(manifest_path)
    folder = manifest_path if manifest_path.is_dir() else manifest_path.parent
    manifest = read_manifest(manifest_path)
    if manifest.get("scenario") is None:
        raise UserError(f"{manifest_path}: the manifest names no scenario, so it cannot be rerun")
    scenario_path = (folder / manifest["scenario"]["path"]).resolve()
    if not scenario_path.is_file():
        raise UserError(f"{manifest_path}: scenario {manifest['scenario']['path']} not found")
    return scenario_path


def _changed_inputs(manifest: Mapping[str, Any], scenario_path: Path, plugins) -> list[str]:  # type: ignore[no-untyped-def]
    import orgmodel

    now = scenario_hashes(scenario_path)
    then = manifest["scenario"]
    out = []
    if now["sha256"] != then["sha256"]:
        out.append(f"scenario {then['file']} changed")
    for name, roster in then["rosters"].items():
        current = now["rosters"].get(name)
        if current is None or current["sha256"] != roster["sha256"]:
            out.append(f"roster {roster['file']} changed")
    versions = manifest["versions"]
    if versions["orgmodel"] != orgmodel.__version__:
        out.append(f"orgmodel is {orgmodel.__version__}, the run used {versions['orgmodel']}")
    have = {p.name: p.version for p in plugins.describe()}
    for plugin in versions["plugins"]:
        if have.get(plugin["name"]) != plugin["version"]:
            out.append(f"plugin {plugin['name']} is {have.get(plugin['name'], 'not installed')},"
                       f" the run used {plugin['version']}")
    return out


def _variant_structures(scenario, plugins) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    from orgmodel.run.engine import Engine

    run = Engine(plugins).run(scenario)
    out = {"baseline": run.baseline}
    out.update({v.name: v.structure for v in run.variants})
    return out

