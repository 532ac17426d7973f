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
>>> load(summary.folder).names
['baseline', 'merge']
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
import tempfile
import time
from collections.abc import Mapping, Sequence
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
from orgmodel.simulate.manifest import RerunReport, SimulationRun
from orgmodel.simulate.spec import SimulationSpec

__all__ = [
    "run",
    "validate",
    "baseline",
    "info",
    "load",
    "compare",
    "report",
    "chart",
    "pack",
    "rerun",
    "plugins_for",
    "strategy_labels",
    "RunSummary",
    "VariantSummary",
    "Validation",
    "RerunReport",
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
    :ivar simulation: the simulation's folder (``folder/simulation``), or None when not simulated.
    """

    scenario: str
    folder: Path
    report: Path | None
    units: int
    members: int
    variants: tuple[VariantSummary, ...]
    seconds: float
    simulation: Path | None = None


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
    _simulation_spec(loaded, engine.plugins)
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
    simulate: bool | None = None,
    simulation: Mapping[str, Any] | None = None,
    plugins: PluginHost | None = None,
    progress: ProgressCallback = None,
    cancel: CancelFlag = None,
    pdf: bool = False,
    docx: bool = False,
) -> RunSummary:
    """Run a scenario (all variants, or those named) into the results folder ``out`` (default: the
    scenario's ``output.dir``), with the report in ``out/report`` unless ``report`` is False
    (``pdf``, ``docx``: with ``report.pdf`` and ``report.docx`` too).

    Each variant's final structure is simulated over time (``out/simulation``) when the scenario
    has a ``simulation:`` key or ``simulate`` is True, never when it is False; ``simulation``
    overrides keys of that key (``{"replications": 20, "executor": "serial"}``) and asks for the
    simulation too. The folder is written aside and put in place whole; on an error or a cancel
    the previous results stay as they were.
    """
    started = time.perf_counter()
    stages: list[Any] = ["load", "baseline", "run", "evaluate", "simulate", "write"] + (["report"] if report else [])
    tracker = Tracker(progress, cancel, stages=stages, forecast=["simulate"])
    loaded, engine, structure = _prepare(scenario, plugins, tracker)
    language = _language(lang, loaded)
    sim_spec = _simulation_spec(loaded, engine.plugins, simulate=simulate, overrides=simulation)
    if sim_spec is None:
        tracker.plan([s for s in stages if s != "simulate"])
    else:  # a forecast from the baseline's members, until the variants' own are known
        _expect_simulation(tracker, {v.name: structure for v in loaded.spec.variants
                                     if not variants or v.name in variants} or {"baseline": structure}, sim_spec)
    result = engine.run(loaded, baseline=structure, variants=variants,
                        progress=tracker.forward if progress is not None else None, cancel=cancel)
    tracker.send("evaluate", 0, 1, f"{len(result.variants) + 1} structure(s)")
    evaluations = evaluate(result, engine.plugins)
    tracker.send("evaluate", 1, 1, "metrics and rules")
    simulated = _simulate(loaded, result, sim_spec, engine.plugins, tracker) if sim_spec is not None else None
    folder = Path(out) if out is not None else loaded.output_dir()

    def extra(tmp: Path) -> None:
        tracker.send("write", 1, 2, "results")
        if report:
            tracker.send("report", 0, 1, "report and diagrams")
            _write_report(load_results(tmp), language, into=tmp / "report", plugins=engine.plugins, pdf=pdf, docx=docx)
            tracker.send("report", 1, 1, "report")

    tracker.send("write", 0, 2, str(folder))
    written = write_run(result, folder, evaluations, simulation=simulated, extra=extra)
    tracker.send("write", 2, 2, str(written), check=False)
    rows = []
    for e in evaluations:
        counts = count_findings(e.findings)
        rows.append(VariantSummary(e.name, e.label, int(e.changes.get("members_moved", 0)),
                                   counts["error"], counts["warning"]))
    return RunSummary(loaded.spec.name, written, written / "report" / "report.html" if report else None,
                      len(structure.unit_ids()), _members(structure), tuple(rows),
                      round(time.perf_counter() - started, 3),
                      written / "simulation" if simulated is not None else None)


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
    pdf: bool = False,
    docx: bool = False,
) -> Path:
    """(Re)write the report of a results folder into ``folder/report``; returns ``report.html``.
    ``pdf``: also ``report.pdf`` (A4, printed by headless Chromium); ``docx``: also ``report.docx``.

    The new report replaces the old one whole; on an error or a cancel the old one stays.
    """
    folder = Path(folder).resolve()
    tracker = Tracker(progress, cancel)
    results = load_results(folder)
    language = _checked_language(lang if lang is not None else results.scenario.get("lang"))
    tracker.send("report", 0, 1, str(folder / "report"))
    tmp = Path(tempfile.mkdtemp(prefix=".report.", dir=folder))
    try:
        _write_report(results, language, into=tmp, plugins=plugins, pdf=pdf, docx=docx)
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


def rerun(
    manifest: str | os.PathLike[str],
    out: str | os.PathLike[str] | None = None,
    *,
    executor: str | None = None,
    workers: int | None = None,
    scheduler: str | None = None,
    plugins: PluginHost | None = None,
    progress: ProgressCallback = None,
    cancel: CancelFlag = None,
) -> RerunReport:
    """Simulate again from a simulation's manifest (``<results>/simulation/manifest.json``, or
    that folder) into ``out`` (default: the manifest's folder with ``-rerun`` added) and compare
    every file with the hashes the manifest lists. Refused, with one line, when the scenario, a
    roster, orgmodel or a plugin changed since. ``executor``, ``workers`` and ``scheduler`` may
    differ from the recorded ones: the numbers do not depend on them. ``RerunReport.identical``
    says whether the rerun reproduced the files byte for byte; ``differences`` names the others.
    """
    from orgmodel.simulate import SimulationCancelled
    from orgmodel.simulate.manifest import manifest_scenario
    from orgmodel.simulate.manifest import rerun as rerun_manifest

    tracker = Tracker(progress, cancel, stages=["simulate"])
    host = plugins if plugins is not None else plugins_for(manifest_scenario(manifest))
    try:
        return rerun_manifest(manifest, out, executor=executor, workers=workers, scheduler=scheduler, plugins=host,
                              progress=_replication_progress(tracker), cancel=lambda: tracker.cancelled)
    except SimulationCancelled:
        raise Cancelled() from None


# -- simulation wiring: the spec with its overrides, the replications with progress -------------

def _simulation_spec(loaded: Scenario, plugins: PluginHost, *, simulate: bool | None = None,
                     overrides: Mapping[str, Any] | None = None) -> SimulationSpec | None:
    """The simulation to run (None: none), its behaviour model and parameters checked against the
    plugins; errors at the line of the scenario's ``simulation:`` key."""
    from pydantic import ValidationError

    from orgmodel.simulate.spec import resolve_model

    spec = loaded.spec.simulation
    if spec is not None:  # a bad model or parameter is an error of the file, simulated or not
        resolve_model(spec, plugins, file=str(loaded.path), locate=loaded.locator.locate, scenario=loaded)
    if simulate is False:
        if overrides:
            raise UserError(f"simulation options given ({', '.join(sorted(overrides))}) with the simulation off")
        return None
    if spec is None and not simulate and not overrides:
        return None
    if overrides:
        given = spec.model_dump(exclude_unset=True) if spec is not None else {}
        try:
            spec = SimulationSpec.model_validate({**given, **overrides})
        except ValidationError as exc:
            err = exc.errors()[0]
            field = ".".join(str(p) for p in err["loc"])
            message = str(err["msg"]).removeprefix("Value error, ")
            raise UserError(f"simulation option {field or ', '.join(sorted(overrides))}: {message}") from None
    elif spec is None:
        spec = SimulationSpec()
    resolve_model(spec, plugins, file=str(loaded.path), locate=loaded.locator.locate, scenario=loaded)
    return spec


def _replication_progress(tracker: Tracker):  # noqa: ANN202
    """A (done, total) callback sending ``simulate`` events with the time left."""
    started = time.perf_counter()

    def send(done: int, total: int) -> None:
        left = None
        if 0 < done < total:
            left = (time.perf_counter() - started) * (total - done) / done
        elif done >= total:
            left = 0.0
        message = f"{done:,}/{total:,} replications" + (f", about {left:,.0f} s left" if left else "")
        tracker.send("simulate", done, total, message, check=False, seconds_left=left)

    return send


def _expect_simulation(tracker: Tracker, structures: Mapping[str, Structure], spec: SimulationSpec) -> None:
    """Tell the progress tracker how long the simulation should take (its share of the bar)."""
    from orgmodel.simulate.executors import default_workers
    from orgmodel.simulate.run import expected_seconds

    workers = (spec.workers or default_workers()) if spec.executor != "serial" else 1
    tracker.expect("simulate", expected_seconds(structures, spec, workers=workers))


def _simulate(loaded: Scenario, result: Any, spec: SimulationSpec, plugins: PluginHost,
              tracker: Tracker) -> SimulationRun:
    """Simulate each variant's final structure (the baseline when no variant was run)."""
    from orgmodel.analysis.rulebook import rule_book_for
    from orgmodel.simulate import SimulationCancelled
    from orgmodel.simulate import simulate as simulate_structures
    from orgmodel.simulate.executors import default_workers
    from orgmodel.simulate.sweep import has_strategy_sweep, strategy_structures

    structures = {v.name: v.structure for v in result.variants} or {"baseline": result.baseline}
    start = loaded.spec.as_of or dt.date.today()
    workers = (spec.workers or default_workers()) if spec.executor == "processes" else None
    _expect_simulation(tracker, structures, spec)
    try:
        points = strategy_structures(loaded, spec, structures, plugins=plugins, baseline=result.baseline,
                                     check=tracker.check, note=lambda text: tracker.send("simulate", 0, 1, text)
                                     ) if has_strategy_sweep(spec) else None
        simulated = simulate_structures(
            structures, spec, start=start, plugins=plugins, rules=rule_book_for(loaded, plugins),
            approvals=[(a.unit, a.rule) for a in loaded.spec.rules.approvals], scenario_seed=loaded.spec.seed,
            workers=workers, progress=_replication_progress(tracker), cancel=lambda: tracker.cancelled,
            point_structures=points)
    except SimulationCancelled:
        raise Cancelled() from None
    tracker.check()
    return SimulationRun(simulated, spec, start, spec.executor, workers=workers, scheduler=spec.scheduler,
                         scenario_path=loaded.path, plugins=plugins)


# -- report and pack wiring: the only calls to the report and pack writers ---------------------
# Both read the results folder; nothing is computed again. Names of people are never in a results
# folder: when asked for, they are read from the rosters of the scenario the folder records.

def strategy_labels(lang: str, plugins: PluginHost | None = None) -> dict[str, str]:
    """Strategy name -> its label in ``lang`` (``zh`` or ``en``), for every installed strategy."""
    host = plugins if plugins is not None else PluginHost()
    out = {}
    registry = host.strategies()
    for name in registry.names():
        strategy = registry.get(name)
        label = getattr(strategy, "label_zh" if lang == "zh" else "label_en", "") or ""
        if label:
            out[name] = label
    return out


def _write_report(results: Results, lang: str, *, into: Path, plugins: PluginHost | None = None,
                  pdf: bool = False, docx: bool = False) -> Path:
    """Write the report of ``results`` into the folder ``into``."""
    from orgmodel.report import write_report

    return write_report(results, into, lang=lang, strategy_labels=strategy_labels(lang, plugins), pdf=pdf, docx=docx)


def chart(
    folder: str | os.PathLike[str],
    *,
    variant: str = "baseline",
    unit: str | None = None,
    diff: bool = False,
    format: str = "svg",
    paper: str | None = None,
    out: str | os.PathLike[str] | None = None,
    lang: str | None = None,
) -> list[Path]:
    """Draw one chart from a results folder: the org chart of ``variant`` (of the subtree of
    ``unit`` when given), or with ``diff`` its before/after chart; ``format`` is svg, png or pdf.
    ``paper="a4"`` draws it as legible A4 pages: one PDF with a page each for pdf, one file a page
    (``NAME-01.svg``, ...) for svg and png. ``out``: the file to write
    (default: ``charts/VARIANT[-UNIT][-diff].FORMAT`` in the results folder). Returns the files."""
    from orgmodel.render.charts import draw_chart

    results = load_results(folder)
    language = _checked_language(lang if lang is not None else results.scenario.get("lang"))
    return draw_chart(results, variant=variant, unit=unit, diff=diff, fmt=format, paper=paper,
                      out=None if out is None else Path(out), lang=language)


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
