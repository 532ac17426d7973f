"""The one way through the pipeline: run a scenario, then load, compare, report and pack its results.

The command line, notebooks, the simulation and the web app all call these functions; none of
them assembles the engine, evaluation and writers itself. Long calls take ``progress`` (a callable
receiving :class:`Progress` events) and ``cancel`` (a ``threading.Event`` or a callable returning
True to stop); a cancelled call raises :class:`Cancelled` and leaves no half-written output.
Every function is listed in ``docs/api.md``.

>>> import pathlib, tempfile
>>> from orgmodel.plugin.host import PluginHost
>>> from orgmodel.testing_data import TOY_PACK
>>> from orgmodel.plugin.hookspecs import hookimpl
>>> class Toy:
...     @hookimpl
...     def register_unit_kinds(register):
...         register(TOY_PACK)
>>> folder = pathlib.Path(tempfile.mkdtemp())
>>> _ = (folder / "s.yaml").write_text('''
... name: demo
... domain: toy
... baseline:
...   units: [{id: b1, kind: toy.branch}, {id: b2, kind: toy.branch}]
...   members: [{id: m1, branch: b1}, {id: m2, branch: b2}]
... variants:
...   - name: merge
...     steps:
...       - operations: [{op: dissolve, unit: b2, members_to: b1, reason: 合并}]
... ''', encoding="utf-8")
>>> events = []
>>> summary = run(folder / "s.yaml", folder / "out", report=False,
...               plugins=PluginHost({"toy": Toy}, autoload=False), progress=events.append)
>>> [(v.name, v.members_moved) for v in summary.variants]
[('baseline', 0), ('merge', 1)]
>>> [e.stage for e in events if e.done == e.total]
['load', 'baseline', 'run', 'evaluate', 'write']
>>> load(summary.folder).variants
['baseline', 'merge']
"""

from __future__ import annotations

import os
import shutil
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from orgmodel.analysis.compare import Comparison, load_comparison
from orgmodel.analysis.rules import count_findings
from orgmodel.errors import UserError
from orgmodel.files import replace_folder
from orgmodel.io.loader import Scenario, build_baseline, load_scenario
from orgmodel.model.structure import Structure
from orgmodel.plugin.host import PluginHost
from orgmodel.run.engine import Engine
from orgmodel.run.evaluate import evaluate
from orgmodel.run.progress import STAGES, CancelFlag, Cancelled, Progress, ProgressCallback, Tracker
from orgmodel.run.results import Results, load_results, write_run

__all__ = [
    "run",
    "validate",
    "baseline",
    "info",
    "load",
    "compare",
    "report",
    "pack",
    "plugins_for",
    "RunSummary",
    "VariantSummary",
    "Validation",
    "Results",
    "Progress",
    "Cancelled",
    "STAGES",
]

LANGUAGES = ("zh", "en")

# -- what the calls return -------------------------------------------------------------------

@dataclass(frozen=True)
class VariantSummary:
    """One line of a run: a variant (or the baseline), its members moved and its findings."""

    name: str
    label: str
    members_moved: int
    errors: int
    warnings: int


@dataclass(frozen=True)
class RunSummary:
    """What :func:`run` wrote: the results folder, the report, and one line per variant.

    :ivar variants: the baseline first (named ``baseline``), then each variant run.
    :ivar report: the report's HTML file, or None when no report was written.
    """

    scenario: str
    folder: Path
    report: Path | None
    units: int
    members: int
    variants: tuple[VariantSummary, ...]
    seconds: float


@dataclass(frozen=True)
class Validation:
    """A scenario that :func:`validate` found sound: its baseline's counts and its variants."""

    path: Path
    units: int
    members: int
    variants: tuple[str, ...]


# -- plugins and scenarios -------------------------------------------------------------------

def plugins_for(
    scenario: str | os.PathLike[str] | Scenario | None = None,
    *,
    blocked: Sequence[str] = (),
    plugin_dirs: Sequence[str | os.PathLike[str]] = (),
    allow_scenario_plugins: bool = False,
) -> PluginHost:
    """The plugins a run uses: the installed ones, minus ``blocked`` and the scenario's
    ``plugins.block``, plus ``plugin_dirs`` and the scenario's ``plugins.dir``, which runs code
    from that folder and so is refused unless ``allow_scenario_plugins``."""
    dirs = [Path(d) for d in plugin_dirs]
    block = list(blocked)
    if scenario is not None:
        scenario = _scenario(scenario)
        wanted = scenario.spec.plugins
        block += wanted.block
        if wanted.dir is not None:
            if not allow_scenario_plugins:
                raise scenario.error(
                    ("plugins", "dir"),
                    "this scenario loads code from a plugin folder; read it, then pass"
                    " --allow-scenario-plugins to allow it",
                )
            dirs.append(scenario.folder / wanted.dir)
    return PluginHost(blocked=tuple(block), plugin_dirs=tuple(dirs))


def _language(lang: str | None, scenario: Scenario) -> str:
    if lang is None:
        return scenario.spec.output.lang
    if lang not in LANGUAGES:
        raise UserError(f"lang must be one of {', '.join(LANGUAGES)}, not {lang!r}")
    return lang


def _checked_language(lang: str | None) -> str:
    lang = lang or "zh"
    if lang not in LANGUAGES:
        raise UserError(f"lang must be one of {', '.join(LANGUAGES)}, not {lang!r}")
    return lang


def _scenario(scenario: str | os.PathLike[str] | Scenario) -> Scenario:
    return scenario if isinstance(scenario, Scenario) else load_scenario(Path(scenario))


def _prepare(scenario: str | os.PathLike[str] | Scenario, plugins: PluginHost | None,
             tracker: Tracker) -> tuple[Scenario, Engine, Structure]:
    """Load the scenario, choose the plugins and build the baseline, with progress."""
    tracker.send("load", 0, 1, str(getattr(scenario, "path", scenario)))
    loaded = _scenario(scenario)
    engine = Engine(plugins if plugins is not None else plugins_for(loaded))
    tracker.send("load", 1, 1, loaded.spec.name)
    tracker.send("baseline", 0, 1, "rosters")
    structure = build_baseline(loaded, engine.plugins)
    tracker.send("baseline", 1, 1, f"{len(structure.unit_ids()):,} units, {_members(structure):,} members")
    return loaded, engine, structure


def _members(structure: Structure) -> int:
    return int(structure.members["active"].sum())


# -- the calls -------------------------------------------------------------------------------

def baseline(scenario: str | os.PathLike[str] | Scenario, *, plugins: PluginHost | None = None) -> Structure:
    """The scenario's baseline structure, read from its rosters and checked."""
    return _prepare(scenario, plugins, Tracker())[2]


def info(scenario: str | os.PathLike[str] | Scenario, *, top: int = 5, plugins: PluginHost | None = None) -> dict[str, Any]:
    """A summary of the scenario's baseline: counts by kind, branch sizes, depth, the ``top`` largest
    branches (the dictionary ``orgmodel info --json`` prints)."""
    from orgmodel.analysis.summary import summarise

    return summarise(baseline(scenario, plugins=plugins), top=top)


def validate(
    scenario: str | os.PathLike[str] | Scenario,
    *,
    plugins: PluginHost | None = None,
    progress: ProgressCallback = None,
    cancel: CancelFlag = None,
) -> Validation:
    """Check a scenario whole: the file, its rosters, and every step of every variant proposed and
    applied (scope and locks included); nothing is written. A problem raises a one-line UserError."""
    tracker = Tracker(progress, cancel)
    loaded, engine, structure = _prepare(scenario, plugins, tracker)
    engine.run(loaded, baseline=structure, progress=progress, cancel=cancel)
    return Validation(loaded.path, len(structure.unit_ids()), _members(structure),
                      tuple(v.name for v in loaded.spec.variants))


def run(
    scenario: str | os.PathLike[str] | Scenario,
    out: str | os.PathLike[str] | None = None,
    *,
    variants: Sequence[str] | None = None,
    report: bool = True,
    lang: str | None = None,
    plugins: PluginHost | None = None,
    progress: ProgressCallback = None,
    cancel: CancelFlag = None,
) -> RunSummary:
    """Run a scenario (all variants, or those named) into the results folder ``out`` (default: the
    scenario's ``output.dir``), with the report in ``out/report`` unless ``report`` is False.

    The folder is written aside and put in place whole; on an error or a cancel the previous
    results stay as they were.
    """
    started = time.perf_counter()
    tracker = Tracker(progress, cancel)
    loaded, engine, structure = _prepare(scenario, plugins, tracker)
    language = _language(lang, loaded)
    result = engine.run(loaded, baseline=structure, variants=variants, progress=progress, cancel=cancel)
    tracker.send("evaluate", 0, 1, f"{len(result.variants) + 1} structure(s)")
    evaluations = evaluate(result, engine.plugins)
    tracker.send("evaluate", 1, 1, "metrics and rules")
    folder = Path(out) if out is not None else loaded.output_dir()

    def extra(tmp: Path) -> None:
        tracker.send("write", 1, 2, "results")
        if report:
            tracker.send("report", 0, 1, "report and diagrams")
            _write_report(load_results(tmp), language, into=tmp / "report")
            tracker.send("report", 1, 1, "report")

    tracker.send("write", 0, 2, str(folder))
    written = write_run(result, folder, evaluations, extra=extra)
    tracker.send("write", 2, 2, str(written), check=False)
    rows = []
    for e in evaluations:
        counts = count_findings(e.findings)
        rows.append(VariantSummary(e.name, e.label, int(e.changes.get("members_moved", 0)),
                                   counts["error"], counts["warning"]))
    return RunSummary(loaded.spec.name, written, written / "report" / "report.html" if report else None,
                      len(structure.unit_ids()), _members(structure), tuple(rows),
                      round(time.perf_counter() - started, 3))


def load(folder: str | os.PathLike[str]) -> Results:
    """Read a results folder written by :func:`run` (see ``docs/results.md``): the baseline and each
    variant with its metric values, findings, changes, units, assignment and plans."""
    return load_results(folder)


def compare(
    folders: str | os.PathLike[str] | Sequence[str | os.PathLike[str]],
    variants: Sequence[str] | None = None,
    base: str | None = None,
) -> Comparison:
    """Compare variants of one or more results folders (``run:variant`` names when several);
    changes are measured against ``base`` (a compared variant) or each run's baseline."""
    if isinstance(folders, (str, os.PathLike)):
        folders = [folders]
    return load_comparison([Path(f) for f in folders], variants=list(variants) if variants else None, base=base)


def report(
    folder: str | os.PathLike[str],
    *,
    lang: str | None = None,
    plugins: PluginHost | None = None,
    progress: ProgressCallback = None,
    cancel: CancelFlag = None,
) -> Path:
    """(Re)write the report of a results folder into ``folder/report``; returns ``report.html``.

    The new report replaces the old one whole; on an error or a cancel the old one stays.
    """
    folder = Path(folder).resolve()
    tracker = Tracker(progress, cancel)
    results = load_results(folder)
    language = _checked_language(lang if lang is not None else results.scenario.get("lang"))
    tracker.send("report", 0, 1, str(folder / "report"))
    tmp = Path(tempfile.mkdtemp(prefix=".report.", dir=folder))
    try:
        _write_report(results, language, into=tmp)
        tracker.check()
        replace_folder(tmp, folder / "report")
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)
    tracker.send("report", 1, 1, "report", check=False)
    return folder / "report" / "report.html"


def pack(
    source: str | os.PathLike[str] | Scenario,
    variant: str,
    out: str | os.PathLike[str] | None = None,
    *,
    names: bool | None = None,
    lang: str | None = None,
    plugins: PluginHost | None = None,
    progress: ProgressCallback = None,
    cancel: CancelFlag = None,
) -> Path:
    """Write the implementation pack of ``variant`` (rosters, transfers, units to found or dissolve,
    approvals) from a results folder or a scenario file, into ``out`` (default: ``pack-<variant>``
    beside the results, or in the scenario's ``output.dir``). Names of people only when ``names``
    (default: the scenario's ``output.names``). Returns the pack's folder."""
    tracker = Tracker(progress, cancel)
    if isinstance(source, Scenario) or not (Path(source) / "run.json").is_file():
        loaded = _scenario(source)
        folder = loaded.output_dir()
        if not (folder / "run.json").is_file():
            raise UserError(f"{folder}: no results to pack; write them first with orgmodel run {loaded.path}")
        default_out = folder / f"pack-{variant}"
    else:
        folder = Path(source).resolve()
        default_out = folder.parent / f"{folder.name}-pack-{variant}"
    results = load_results(folder)
    results.variant(variant)  # an unknown variant is an error before anything is read or written
    with_names = bool(results.scenario.get("names")) if names is None else names
    target = Path(out) if out is not None else default_out
    tracker.send("pack", 0, 1, str(target))
    people = _names(results, plugins, tracker) if with_names else None
    written = _write_pack(results, variant, target, names=people,
                          lang=_checked_language(lang if lang is not None else results.scenario.get("lang")))
    tracker.send("pack", 1, 1, str(written), check=False)
    return written


# -- report and pack wiring: the only calls to the report and pack writers ---------------------
# Both read the results folder; nothing is computed again. Names of people are never in a results
# folder: when asked for, they are read from the rosters of the scenario the folder records.

def _write_report(results: Results, lang: str, *, into: Path) -> Path:
    """Write the report of ``results`` into the folder ``into``."""
    from orgmodel.report import write_report

    return write_report(results, into, lang=lang)


def _write_pack(results: Results, variant: str, out: Path, *, names: dict[str, str] | None, lang: str) -> Path:
    from orgmodel.report.pack import write_pack

    return write_pack(results, variant, out, names=names, lang=lang)


def _names(results: Results, plugins: PluginHost | None, tracker: Tracker) -> dict[str, str]:
    """Member id -> name, from the rosters of the scenario the results record (refused when the
    rosters changed since, so that no name lands on the wrong member)."""
    scenario_file = Path(str(results.scenario.get("file", "")))
    if not scenario_file.is_file():
        raise UserError(f"{results.folder}: the scenario file {scenario_file} these results came from is gone;"
                        " names come from its rosters")
    _, _, structure = _prepare(scenario_file, plugins, tracker)
    if structure.fingerprint != results.baseline_fingerprint:
        raise UserError(f"{results.folder}: the scenario or its rosters changed since these results were written;"
                        " run it again")
    names = structure.personal.get("name") if "name" in structure.personal else None
    ids = structure.members.ids.tolist()
    return dict(zip(ids, (str(n) for n in names) if names is not None else [""] * len(ids), strict=True))
