"""Every CLI command, scenario key, plan operation and hook is documented."""

from __future__ import annotations

import inspect
import re
from pathlib import Path

import pytest
from pydantic import BaseModel

from orgmodel.plugin import hookspecs
from orgmodel.cli import COMMANDS, build_parser
from orgmodel.model.plan import OPERATION_TYPES
from orgmodel.io.scenario import (
    TABLES, Baseline, ManualStep, Output, PluginsSpec, ReportSpec, RulesSpec, ScenarioSpec, StrategyStep, TableSource, Variant,
)

DOCS = Path(__file__).resolve().parents[1] / "docs"


def _text(name: str) -> str:
    return (DOCS / name).read_text(encoding="utf-8")


@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_every_command_has_a_section(command: str) -> None:
    assert re.search(rf"^## `orgmodel {command}\b", _text("cli.md"), re.M), command


def test_every_command_option_is_documented() -> None:
    parser = build_parser()
    text = _text("cli.md")
    for action in parser._actions:
        for flag in action.option_strings:
            if flag not in ("-h", "--help"):
                assert f"`{flag}" in text, flag
    sub = next(a for a in parser._actions if a.dest == "command")
    text = _text("cli.md")
    for name, p in sub.choices.items():
        for action in p._actions:
            for flag in action.option_strings:
                if flag not in ("-h", "--help"):
                    assert f"`{flag}" in text, f"{name} {flag}"


MODELS: list[tuple[type[BaseModel], str]] = [
    (ScenarioSpec, "Top-level keys"),
    (Baseline, "`baseline`"),
    (TableSource, "A table in a file"),
    (Variant, "`variants`"),
    (StrategyStep, "`variants`"),
    (ManualStep, "`variants`"),
    (Output, "`output`"),
    (ReportSpec, "`report`"),
    (PluginsSpec, "`plugins`"),
    (RulesSpec, "`rules`"),
]


@pytest.mark.parametrize(("model", "section"), MODELS, ids=[m.__name__ for m, _ in MODELS])
def test_every_scenario_key_is_documented(model: type[BaseModel], section: str) -> None:
    text = _text("scenarios.md")
    start = text.index(f"## {section}") if f"## {section}" in text else text.index(f"### {section}")
    body = text[start:]
    for field in model.model_fields:
        assert f"| `{field}` |" in body, f"{model.__name__}.{field} missing under {section}"


def test_every_table_column_is_documented() -> None:
    text = _text("scenarios.md")
    for table, (required, optional) in TABLES.items():
        row = next(line for line in text.splitlines() if line.startswith(f"| `{table}` |"))
        for column in required + optional:
            assert f"`{column}`" in row, f"{table}.{column}"


def test_every_operation_is_documented() -> None:
    text = _text("plans.md")
    for op, cls in OPERATION_TYPES.items():
        row = next((line for line in text.splitlines() if line.startswith(f"| `{op}` |")), None)
        assert row is not None, op
        for field in cls.model_fields:
            if field not in ("op", "reason"):
                assert f"`{field}`" in row, f"{op}.{field}"


def test_every_hook_is_documented() -> None:
    text = _text("plugins.md")
    hooks = [n for n, f in inspect.getmembers(hookspecs, inspect.isfunction) if n.startswith("register_")]
    assert hooks
    for name in hooks:
        assert re.search(rf"^### `{name}\(", text, re.M), name
    documented = re.findall(r"^### `(register_\w+)\(", text, re.M)
    assert sorted(documented) == sorted(hooks), "plugins.md documents a hook that does not exist"


def test_readme_links_resolve() -> None:
    root = DOCS.parent
    readme = (root / "README.md").read_text(encoding="utf-8")
    for target in re.findall(r"\]\(([^)#]+)\)", readme):
        if not target.startswith("http"):
            assert (root / target).exists(), target


def test_every_metric_is_documented() -> None:
    from orgmodel.plugin.host import PluginHost

    text = _text("results.md")
    metrics = PluginHost().metrics()
    assert len(metrics) >= 7
    for metric in metrics:
        assert f"| `{metric.name}` |" in text, metric.name


def test_every_rule_quantity_and_party_rule_is_documented() -> None:
    from orgmodel.plugin.host import PluginHost
    from orgmodel.analysis.rules import QUANTITIES

    text = _text("rules.md")
    for quantity in QUANTITIES:
        assert f"`{quantity}`" in text, quantity
    for rule in PluginHost().rule_packs().get("party").rules:
        assert f"`{rule.id}`" in text, rule.id


def test_every_member_column_is_documented_with_its_dtype() -> None:
    from orgmodel.model.structure import MEMBER_CORE_COLUMNS, MEMBER_KNOWN_ATTRIBUTES
    from orgmodel.testing_data import tiny_structure

    text = _text("plugins.md")
    section = text[text.index("### Member columns"):]
    section = section[: section.index("\n## ")]
    rows = dict(re.findall(r"^\| `(\w+)` \| `([\w\[\]]+)`", section, re.M))
    declared = {**MEMBER_CORE_COLUMNS, **MEMBER_KNOWN_ATTRIBUTES}
    assert rows == declared
    columns = tiny_structure().members.columns
    assert {name: str(columns[name].dtype) for name in declared} == declared  # the docs say what is built


def test_what_plugins_md_promises_about_the_structure_api_holds() -> None:
    import dataclasses

    import numpy as np

    from orgmodel import Role
    from orgmodel.testing import contract_baselines

    s = contract_baselines("toy", only=("branch-of-329",))["branch-of-329"]
    for unit in s.unit_ids("toy.branch"):
        codes = s.member_codes_of(unit)
        assert s.member_ids_of(unit) == s.members.ids[codes].tolist()  # one order for both
        assert (np.diff(codes) > 0).all()  # ascending member code
    assert [f.name for f in dataclasses.fields(Role)] == ["unit", "role", "person", "since"]
    [role] = s.roles_in("b0")
    assert isinstance(role, Role) and role.role == "secretary"
    assert s.full_mask.dtype == bool and not s.full_mask.flags.writeable
    assert int(s.full_mask[s.member_codes_of("b0")].sum()) == s.size("b0", full_only=True)
    assert s.column("birth_date").dtype == np.dtype("datetime64[D]")
    text = _text("plugins.md")
    for promise in ("**in the same order**", "`Role(unit, role, person, since)`", "| `full_mask` |",
                    "**or `None`**", "`strategy.propose_on(structure, params, seed=0)`"):
        assert promise in text, promise


def test_every_unit_kind_of_the_party_pack_is_listed() -> None:
    from orgmodel.plugin.host import PluginHost

    text = (DOCS / "scenarios.md").read_text(encoding="utf-8")
    kinds = [k.id for pack in PluginHost().domain_packs() for k in pack.kinds]
    assert kinds and all(f"`{k}`" in text for k in kinds), [k for k in kinds if f"`{k}`" not in text]


def test_every_word_a_domain_pack_may_give_is_documented() -> None:
    from orgmodel.model.kinds import WORD_KEYS

    text = _text("plugins.md")
    for key in [*WORD_KEYS, "status.<status>", "role.<role>", "metric.<value>"]:
        assert f"| `{key}` |" in text, key
