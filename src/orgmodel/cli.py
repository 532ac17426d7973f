"""The ``orgmodel`` command.

Exit status: 0 ok; 2 a user error (bad file, bad value, bad plugin), printed as one line with no
traceback; 70 an internal error, which is a bug in orgmodel and says so.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from orgmodel import __version__, api
from orgmodel.errors import UserError
from orgmodel.messages import say

__all__ = ["main", "COMMANDS", "EXIT_OK", "EXIT_USER", "EXIT_BUG"]

EXIT_OK = 0
EXIT_USER = 2
EXIT_BUG = 70


def _said(args: argparse.Namespace) -> str:
    """The language of the command's messages: the one chosen with ``--lang``, else English."""
    return getattr(args, "lang", None) or "en"


def _scenario_and_plugins(args: argparse.Namespace, file: str | None = None):  # noqa: ANN202
    """Load the scenario named on the command line and the plugins it may use."""
    from orgmodel.io.loader import load_scenario

    scenario = load_scenario(file or args.file)
    return scenario, _host(args, scenario)


def _cmd_validate(args: argparse.Namespace) -> int:
    scenario, plugins = _scenario_and_plugins(args)
    with _progress_display() as progress:
        checked = api.validate(scenario, plugins=plugins, progress=progress)
    print(say(_said(args), "validated", file=args.file, units=checked.units, members=checked.members,
              variants=len(checked.variants)))
    return EXIT_OK


def _cmd_info(args: argparse.Namespace) -> int:
    from orgmodel.analysis.summary import format_summary

    scenario, plugins = _scenario_and_plugins(args)
    info = api.info(scenario, top=args.top, plugins=plugins)
    if args.json:
        print(json.dumps(info, ensure_ascii=False, indent=2))
    else:
        lang = args.lang or scenario.spec.output.lang
        print(f"{scenario.spec.name}  ({args.file})")
        print(format_summary(info, lang=lang, pack=plugins.domain_pack(scenario.spec.domain)))
    return EXIT_OK


def _simulation_options(args: argparse.Namespace) -> dict[str, Any]:
    """The simulation keys the command line overrides (only those given)."""
    given = {"executor": args.executor, "workers": args.workers, "scheduler": args.scheduler,
             "replications": args.replications}
    return {k: v for k, v in given.items() if v is not None}


def _cmd_run(args: argparse.Namespace) -> int:
    scenario, plugins = _scenario_and_plugins(args)
    with _progress_display() as progress:
        summary = api.run(scenario, args.out, variants=args.variant or None, report=not args.no_report,
                          lang=args.lang, simulate=False if args.no_simulate else None,
                          simulation=_simulation_options(args), plugins=plugins, progress=progress,
                          pdf=args.pdf, docx=args.docx)
    lang = _said(args)
    for v in summary.variants:
        print(say(lang, "run_variant", name=v.name, moved=v.members_moved, errors=v.errors, warnings=v.warnings))
    out = Path(args.out) if args.out else summary.folder
    print(say(lang, "results_at", path=out))
    if summary.simulation is not None:
        print(say(lang, "simulation_at", path=out / "simulation"))
    if summary.report is not None:
        print(say(lang, "report_at", path=out / "report" / "report.html"))
        for extra in ("pdf", "docx"):
            if getattr(args, extra):
                print(say(lang, "report_at", path=out / "report" / ("report." + extra)))
    return EXIT_OK


def _cmd_chart(args: argparse.Namespace) -> int:
    files = api.chart(args.results, variant=args.variant, unit=args.unit, diff=args.diff, format=args.format,
                      paper=args.paper, out=args.out, lang=args.lang)
    for path in files:
        print(path)
    return EXIT_OK


def _cmd_rerun(args: argparse.Namespace) -> int:
    from orgmodel.simulate.manifest import manifest_scenario

    _, plugins = _scenario_and_plugins(args, str(manifest_scenario(args.manifest)))
    with _progress_display() as progress:
        report = api.rerun(args.manifest, args.out, executor=args.executor, workers=args.workers,
                           scheduler=args.scheduler, plugins=plugins, progress=progress)
    if not report.identical:
        raise UserError(f"{args.manifest}: the rerun differs from the manifest in {', '.join(report.differences)}"
                        f" (rerun written to {report.folder})")
    print(f"reproduced: every file of {args.manifest} is identical (rerun in {report.folder})")
    return EXIT_OK


def _cmd_compare(args: argparse.Namespace) -> int:
    from orgmodel.analysis.compare import format_table
    from orgmodel.files import write_text_atomic

    comparison = api.compare(args.runs, variants=args.variant or None, base=args.base)
    if args.out:
        write_text_atomic(Path(args.out), comparison.to_json())
    if args.json:
        print(comparison.to_json())
    else:
        print(format_table(comparison, lang=args.lang))
    return EXIT_OK


def _cmd_pack(args: argparse.Namespace) -> int:
    if (Path(args.file) / "run.json").is_file():  # a results folder: names, if asked, from its scenario
        source, plugins, folder = Path(args.file), _host(args, None), Path(args.file)
    else:
        source, plugins = _scenario_and_plugins(args)
        folder = source.output_dir()
    with _progress_display() as progress:
        out = api.pack(source, args.variant, args.out, names=True if args.names else None, lang=args.lang,
                       plugins=plugins, progress=progress)
    with_names = args.names or bool(api.load(folder).scenario.get("names"))
    print(say(_said(args), "pack_written", variant=args.variant, folder=Path(args.out) if args.out else out)
          + (say(_said(args), "pack_with_names") if with_names else ""))
    return EXIT_OK


def _cmd_export(args: argparse.Namespace) -> int:
    from orgmodel.io.exchange import export_structure

    scenario, plugins = _scenario_and_plugins(args)
    structure = api.baseline(scenario, plugins=plugins)
    written = export_structure(structure, Path(args.out), fmt=args.format, members=args.members, force=args.force)
    print(f"wrote {written}")
    return EXIT_OK


def _cmd_plugins(args: argparse.Namespace) -> int:
    from orgmodel.plugin.hookspecs import REGISTRIES

    host = _host(args, None)
    if args.hook and args.hook not in REGISTRIES:
        raise UserError(f"unknown hook {args.hook!r} (hooks: {', '.join(REGISTRIES)})")
    rows = []
    for info in host.describe():
        if args.hook and args.hook not in info.hooks:
            continue
        registered = {}
        for hook in info.hooks:
            registry = host.collect(hook)
            registered[hook] = [n for n in registry.names() if registry.owner(n) == info.name]
        rows.append({"name": info.name, "version": info.version, "source": info.source,
                     "hooks": list(info.hooks), "registers": registered})
    if args.json:
        print(json.dumps(rows, ensure_ascii=False, indent=2))
        return EXIT_OK
    if not rows:
        print("no plugins" + (f" implement {args.hook}" if args.hook else " are installed"))
    for row in rows:
        print(f"{row['name']} {row['version']}  ({row['source']})")
        for hook in row["hooks"]:
            names = ", ".join(row["registers"][hook]) or "-"
            print(f"  {hook}: {names}")
            if hook == "register_unit_kinds":  # the kinds a scenario of that domain may use
                for pack_name in row["registers"][hook]:
                    for kind in host.domain_pack(pack_name).kinds:
                        print(f"    {kind.id:<32} {kind.label_zh} / {kind.label_en}")
    return EXIT_OK


def _cmd_new_plugin(args: argparse.Namespace) -> int:
    from orgmodel.plugin.scaffold import write_plugin

    folder = write_plugin(args.name, Path(args.dir))
    print(f"wrote {folder}")
    print(f"next: pip install -e {folder} && pytest {folder}")
    return EXIT_OK


def _cmd_demo(args: argparse.Namespace) -> int:
    from orgmodel.analysis.compare import format_table

    scenario, plugins = _scenario_and_plugins(args, str(builtin_scenario()))
    simulation = None if args.no_simulate else {"replications": args.replications}
    with _progress_display() as progress:
        summary = api.run(scenario, args.out, lang=args.lang, simulate=False if args.no_simulate else None,
                          simulation=simulation, plugins=plugins, progress=progress)
    lang = args.lang or scenario.spec.output.lang
    out = Path(args.out) if args.out else summary.folder
    print(say(_said(args), "demo_head", scenario=summary.scenario, variants=len(summary.variants) - 1,
              members=summary.members))
    print()
    print(format_table(api.compare([summary.folder]), lang=lang))
    print()
    print(say(_said(args), "results_at", path=out))
    print(say(_said(args), "report_at", path=out / "report" / "report.html"))
    return EXIT_OK


def _cmd_serve(args: argparse.Namespace) -> int:
    from orgmodel.web.server import serve

    serve(args.dir, host=args.host, port=args.port)
    return EXIT_OK


def builtin_scenario() -> Path:
    """The built-in scenario: seed 004's large community, in the repository's ``scenarios/``."""
    candidates = [Path.cwd() / "scenarios", Path(__file__).resolve().parents[2] / "scenarios"]
    for folder in candidates:
        path = folder / "large-community" / "scenario.yaml"
        if path.is_file():
            return path
    raise UserError("built-in scenario scenarios/large-community/scenario.yaml not found; run from the repository")


def _host(args: argparse.Namespace, scenario):  # noqa: ANN001, ANN202
    """The plugin host for this command: installed plugins, folders, blocks, scenario's asks."""
    return api.plugins_for(
        scenario,
        blocked=getattr(args, "block_plugin", None) or (),
        plugin_dirs=getattr(args, "plugins_dir", None) or (),
        allow_scenario_plugins=getattr(args, "allow_scenario_plugins", False),
    )


@contextmanager
def _progress_display() -> Iterator[Callable[[api.Progress], None] | None]:
    """A progress bar on stderr while the work runs, when stderr is a terminal; otherwise nothing."""
    if not sys.stderr.isatty():
        yield None
        return
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
               TextColumn("{task.fields[left]}"))
    with Progress(*columns, console=Console(stderr=True), transient=True) as bar:
        tasks: dict[str, Any] = {}
        whole = bar.add_task("overall %", total=100, left="", visible=False)  # share of the call, weighted by time

        def show(event: api.Progress) -> None:
            if event.overall is not None:
                bar.update(whole, completed=round(100 * event.overall), visible=True)
            if event.stage not in tasks:
                tasks[event.stage] = bar.add_task(event.stage, total=event.total, left="")
            description = f"{event.stage:<9} {event.message}"[:60]
            left = f"{event.seconds_left:,.0f} s left" if event.seconds_left else ""
            bar.update(tasks[event.stage], completed=event.done, total=event.total, description=description, left=left)

        yield show


COMMANDS: dict[str, tuple[str, Callable[[argparse.Namespace], int]]] = {
    "validate": ("check a scenario file, its rosters, strategies and parameters; print one line", _cmd_validate),
    "info": ("summarise a scenario's baseline: counts by kind, branch sizes, depth", _cmd_info),
    "run": ("apply every variant of a scenario and write plans and summaries", _cmd_run),
    "compare": ("put variants of one or more runs side by side: metrics, findings, changes", _cmd_compare),
    "pack": ("write the implementation pack of one variant from its results: rosters, transfers, units to found",
             _cmd_pack),
    "chart": ("draw one chart of a results folder: an org chart or a before/after chart, whole or as A4 pages",
              _cmd_chart),
    "export": ("write a scenario's baseline as node-link JSON or GraphML", _cmd_export),
    "plugins": ("list the installed plugins and what they register", _cmd_plugins),
    "new-plugin": ("write a new, installable plugin package with a working strategy and tests", _cmd_new_plugin),
    "rerun": ("simulate again from a simulation's manifest and check the files are identical", _cmd_rerun),
    "demo": ("run the built-in scenario (seed 004's large community), print the comparison, write the report", _cmd_demo),
    "serve": ("start the local web app for planners (Chinese; English as an option) on a scenario folder", _cmd_serve),
}


#: Replications per variant the demo simulates (the scenario asks for 200; the demo stays quick).
DEMO_REPLICATIONS = 40


def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number: {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, not {value}")
    return value


def _executor(text: str) -> str:
    from orgmodel.simulate.executors import EXECUTORS

    name = "processes" if text == "process" else text
    if name not in EXECUTORS:
        raise argparse.ArgumentTypeError(f"unknown executor {text!r} (one of: {', '.join(EXECUTORS)})")
    return name


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of the ``orgmodel`` command."""
    parser = argparse.ArgumentParser(
        prog="orgmodel",
        description="Model organisation structures and compare reorganisation scenarios.",
    )
    parser.add_argument("--version", action="version", version=f"orgmodel {__version__}")
    parser.add_argument("--debug", action="store_true", help="show tracebacks of errors")
    parser.add_argument(
        "--block-plugin", action="append", metavar="NAME", help="do not load this plugin (repeatable)"
    )
    parser.add_argument(
        "--plugins-dir", action="append", metavar="DIR", help="load plugins from this folder (repeatable)"
    )
    parser.add_argument(
        "--allow-scenario-plugins",
        action="store_true",
        help="load the plugin folder a scenario names (plugins.dir); it runs that folder's code",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for name, (help_text, _) in COMMANDS.items():
        p = sub.add_parser(name, help=help_text, description=help_text)
        if name in ("validate", "info", "export", "run"):
            p.add_argument("file", help="scenario file (YAML)")
        if name == "pack":
            p.add_argument("file", help="results folder of orgmodel run, or its scenario file (YAML)")
        if name == "run":
            p.add_argument("--out", help="output folder (default: the scenario's output.dir)")
            p.add_argument("--no-report", action="store_true", help="skip the report and its diagrams")
            p.add_argument("--lang", choices=("zh", "en"), help="report language (default: the scenario's)")
            p.add_argument("--variant", action="append", help="run only this variant (repeatable)")
            p.add_argument("--pdf", action="store_true", help="also print the report as an A4 PDF (needs Chromium)")
            p.add_argument("--docx", action="store_true", help="also write the report as a Word document")
            p.add_argument("--no-simulate", action="store_true", help="do not simulate, even when the scenario asks")
            p.add_argument("--replications", type=_positive, metavar="N",
                           help="simulate with N replications per variant (default: the scenario's)")
        if name in ("run", "rerun"):
            p.add_argument("--executor", type=_executor, metavar="serial|processes|dask",
                           help="where replications run (default: the scenario's, or processes)")
            p.add_argument("--workers", type=_positive, metavar="N", help="processes of the process pool")
            p.add_argument("--scheduler", metavar="ADDRESS", help="the Dask scheduler (with --executor dask)")
        if name == "rerun":
            p.add_argument("manifest", help="a simulation's manifest.json (or its folder)")
            p.add_argument("--out", help="folder to write the rerun to (default: beside the manifest's, -rerun)")
        if name == "chart":
            p.add_argument("results", help="results folder written by orgmodel run")
            p.add_argument("--variant", default="baseline", help="the variant to draw (default: the baseline)")
            p.add_argument("--unit", help="draw only this unit's subtree (a unit id)")
            p.add_argument("--diff", action="store_true", help="the before/after chart of the variant")
            p.add_argument("--format", choices=("svg", "png", "pdf"), default="svg", help="file format (default: svg)")
            p.add_argument("--paper", choices=("a4",), help="lay the chart out as legible pages of this size")
            p.add_argument("--out", help="file to write (default: RESULTS/charts/VARIANT[-UNIT][-diff].FORMAT)")
            p.add_argument("--lang", choices=("zh", "en"), help="label language (default: the scenario's)")
        if name == "compare":
            p.add_argument("runs", nargs="+", help="run folders written by orgmodel run")
            p.add_argument("--variant", action="append", help="compare only these (run:variant when several runs)")
            p.add_argument("--base", help="measure changes against this variant (default: the baseline)")
            p.add_argument("--json", action="store_true", help="print the comparison as JSON")
            p.add_argument("--out", help="also write the JSON to this file")
            p.add_argument("--lang", choices=("zh", "en"), default="zh", help="label language")
        if name == "pack":
            p.add_argument("--variant", required=True, help="the chosen variant")
            p.add_argument("--out", help="output folder (default: <results folder>/pack-<variant>)")
            p.add_argument("--names", action="store_true", help="include people's names")
            p.add_argument("--lang", choices=("zh", "en"), help="language of reasons and sheet names")
        if name == "plugins":
            p.add_argument("--hook", help="only plugins implementing this hook")
            p.add_argument("--json", action="store_true", help="print as JSON")
        if name == "new-plugin":
            p.add_argument("name", help="the plugin's name, e.g. demo-strategy")
            p.add_argument("--dir", default=".", help="folder to create the package in (default: here)")
        if name == "validate":
            p.add_argument("--lang", choices=("zh", "en"), help="language of the message (default: English)")
        if name in ("info", "demo"):
            p.add_argument("--lang", choices=("zh", "en"), help="label language (default: the scenario's)")
        if name == "demo":
            p.add_argument("--out", help="output folder (default: the scenario's output.dir)")
            p.add_argument("--replications", type=_positive, metavar="N", default=DEMO_REPLICATIONS,
                           help=f"replications per variant of the simulation (default {DEMO_REPLICATIONS})")
            p.add_argument("--no-simulate", action="store_true", help="do not simulate")
        if name == "info":
            p.add_argument("--json", action="store_true", help="print the summary as JSON")
            p.add_argument("--top", type=int, default=5, help="how many of the largest branches to list")
        if name == "serve":
            p.add_argument("dir", nargs="?", default=".",
                           help="a scenario folder, or a folder of scenario folders (default: here)")
            p.add_argument("--host", default="127.0.0.1",
                           help="address to listen on (default 127.0.0.1; any other requires the printed token)")
            p.add_argument("--port", type=int, default=8765, help="port (default 8765)")
        if name == "export":
            p.add_argument("--format", choices=("json", "graphml"), default="json")
            p.add_argument("--out", required=True, help="file to write")
            p.add_argument("--members", action="store_true", help="include members as nodes")
            p.add_argument("--force", action="store_true", help="members as nodes even when large")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit status."""
    parser = build_parser()
    args = parser.parse_args(argv)
    handler = COMMANDS[args.command][1]
    try:
        return handler(args)
    except UserError as exc:
        if args.debug:
            raise
        for line in str(exc).splitlines() or [""]:  # several errors of a file: one line each
            print(f"error: {line}", file=sys.stderr)
        return EXIT_USER
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:  # the reader stopped (orgmodel info ... | head): not an error
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return EXIT_OK
    except Exception as exc:  # anything else is our bug, and we say so
        if args.debug:
            raise
        print(
            f"internal error (a bug in orgmodel {__version__}, please report it with --debug output): "
            f"{type(exc).__name__}: {exc}",
            file=sys.stderr,
        )
        return EXIT_BUG


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
