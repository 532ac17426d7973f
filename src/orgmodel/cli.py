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

__all__ = ["main", "COMMANDS", "EXIT_OK", "EXIT_USER", "EXIT_BUG"]

EXIT_OK = 0
EXIT_USER = 2
EXIT_BUG = 70


def _scenario_and_plugins(args: argparse.Namespace, file: str | None = None):  # noqa: ANN202
    """Load the scenario named on the command line and the plugins it may use."""
    from orgmodel.io.loader import load_scenario

    scenario = load_scenario(file or args.file)
    return scenario, _host(args, scenario)


def _cmd_validate(args: argparse.Namespace) -> int:
    scenario, plugins = _scenario_and_plugins(args)
    with _progress_display() as progress:
        checked = api.validate(scenario, plugins=plugins, progress=progress)
    print(f"ok: {args.file}: {checked.units:,} units, {checked.members:,} members, {len(checked.variants)} variant(s)")
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
        print(format_summary(info, lang=lang))
    return EXIT_OK


def _cmd_run(args: argparse.Namespace) -> int:
    scenario, plugins = _scenario_and_plugins(args)
    with _progress_display() as progress:
        summary = api.run(scenario, args.out, variants=args.variant or None, report=not args.no_report,
                          lang=args.lang, plugins=plugins, progress=progress)
    for v in summary.variants:
        print(f"{v.name:<24} {v.members_moved:>7,} moved   {v.errors:>4} error(s) {v.warnings:>4} warning(s)")
    out = Path(args.out) if args.out else summary.folder
    print(f"results: {out}")
    if summary.report is not None:
        print(f"report:  {out / 'report' / 'report.html'}")
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
    print(f"implementation pack of {args.variant}: {Path(args.out) if args.out else out}"
          + (" (with names)" if with_names else ""))
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
    with _progress_display() as progress:
        summary = api.run(scenario, args.out, lang=args.lang, plugins=plugins, progress=progress)
    lang = args.lang or scenario.spec.output.lang
    out = Path(args.out) if args.out else summary.folder
    print(f"{summary.scenario}: {len(summary.variants) - 1} variant(s) on {summary.members:,} members")
    print()
    print(format_table(api.compare([summary.folder]), lang=lang))
    print()
    print(f"results: {out}")
    print(f"report:  {out / 'report' / 'report.html'}")
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

    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    with Progress(*columns, console=Console(stderr=True), transient=True) as bar:
        tasks: dict[str, Any] = {}

        def show(event: api.Progress) -> None:
            if event.stage not in tasks:
                tasks[event.stage] = bar.add_task(event.stage, total=event.total)
            description = f"{event.stage:<9} {event.message}"[:60]
            bar.update(tasks[event.stage], completed=event.done, total=event.total, description=description)

        yield show


COMMANDS: dict[str, tuple[str, Callable[[argparse.Namespace], int]]] = {
    "validate": ("check a scenario file, its rosters, strategies and parameters; print one line", _cmd_validate),
    "info": ("summarise a scenario's baseline: counts by kind, branch sizes, depth", _cmd_info),
    "run": ("apply every variant of a scenario and write plans and summaries", _cmd_run),
    "compare": ("put variants of one or more runs side by side: metrics, findings, changes", _cmd_compare),
    "pack": ("write the implementation pack of one variant from its results: rosters, transfers, units to found",
             _cmd_pack),
    "export": ("write a scenario's baseline as node-link JSON or GraphML", _cmd_export),
    "plugins": ("list the installed plugins and what they register", _cmd_plugins),
    "new-plugin": ("write a new, installable plugin package with a working strategy and tests", _cmd_new_plugin),
    "demo": ("run the built-in scenario (seed 004's large community), print the comparison, write the report", _cmd_demo),
}


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
        if name in ("info", "demo"):
            p.add_argument("--lang", choices=("zh", "en"), help="label language (default: the scenario's)")
        if name == "demo":
            p.add_argument("--out", help="output folder (default: the scenario's output.dir)")
        if name == "info":
            p.add_argument("--json", action="store_true", help="print the summary as JSON")
            p.add_argument("--top", type=int, default=5, help="how many of the largest branches to list")
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
        print(f"error: {exc}", file=sys.stderr)
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
