"""The ``orgmodel`` command.

Exit status: 0 ok; 2 a user error (bad file, bad value, bad plugin), printed as one line with no
traceback; 70 an internal error, which is a bug in orgmodel and says so.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

from . import __version__
from .errors import UserError

__all__ = ["main", "COMMANDS", "EXIT_OK", "EXIT_USER", "EXIT_BUG"]

EXIT_OK = 0
EXIT_USER = 2
EXIT_BUG = 70


def _cmd_validate(args: argparse.Namespace) -> int:
    from .loader import build_baseline, check_steps, load_scenario

    scenario = load_scenario(args.file)
    structure = build_baseline(scenario, _host(args))
    check_steps(scenario, strategies=[])  # strategy plugins arrive with the plugin system
    n_units = len(structure.unit_ids())
    active = int(structure.members["active"].sum())
    print(
        f"ok: {args.file}: {n_units:,} units, {active:,} members, "
        f"{len(scenario.spec.variants)} variant(s)"
    )
    return EXIT_OK


def _cmd_info(args: argparse.Namespace) -> int:
    from .loader import build_baseline, load_scenario
    from .summary import format_summary, summarise

    scenario = load_scenario(args.file)
    structure = build_baseline(scenario, _host(args))
    info = summarise(structure, top=args.top)
    if args.json:
        print(json.dumps(info, ensure_ascii=False, indent=2))
    else:
        lang = args.lang or scenario.spec.output.lang
        print(f"{scenario.spec.name}  ({args.file})")
        print(format_summary(info, lang=lang))
    return EXIT_OK


def _cmd_export(args: argparse.Namespace) -> int:
    from .exchange import export_structure
    from .loader import build_baseline, load_scenario

    scenario = load_scenario(args.file)
    structure = build_baseline(scenario, _host(args))
    written = export_structure(structure, Path(args.out), fmt=args.format, members=args.members, force=args.force)
    print(f"wrote {written}")
    return EXIT_OK


def _cmd_demo(args: argparse.Namespace) -> int:
    scenario = builtin_scenario()
    print(f"built-in scenario: {scenario}")
    args.file = str(scenario)
    args.json = False
    args.top = 5
    status = _cmd_validate(args)
    if status == EXIT_OK:
        print()
        status = _cmd_info(args)
    return status


def builtin_scenario() -> Path:
    """The built-in scenario (汽三 residential area) in the repository's ``scenarios/`` folder."""
    candidates = [Path.cwd() / "scenarios", Path(__file__).resolve().parents[2] / "scenarios"]
    for folder in candidates:
        path = folder / "qisan" / "scenario.yaml"
        if path.is_file():
            return path
    raise UserError("built-in scenario scenarios/qisan/scenario.yaml not found; run from the repository")


def _host(args: argparse.Namespace):  # noqa: ANN202
    from .plugins import PluginHost

    return PluginHost(blocked=tuple(getattr(args, "block_plugin", None) or ()))


COMMANDS: dict[str, tuple[str, Callable[[argparse.Namespace], int]]] = {
    "validate": ("check a scenario file and its rosters; print one line", _cmd_validate),
    "info": ("summarise a scenario's baseline: counts by kind, branch sizes, depth", _cmd_info),
    "export": ("write a scenario's baseline as node-link JSON or GraphML", _cmd_export),
    "demo": ("validate and summarise the built-in scenario", _cmd_demo),
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
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for name, (help_text, _) in COMMANDS.items():
        p = sub.add_parser(name, help=help_text, description=help_text)
        if name in ("validate", "info", "export"):
            p.add_argument("file", help="scenario file (YAML)")
        if name in ("info", "demo"):
            p.add_argument("--lang", choices=("zh", "en"), help="label language (default: the scenario's)")
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
