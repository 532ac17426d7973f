"""docs/simulation.md documents every simulation key, every parameter of the party behaviour
model (with its default) and every metric it reports."""

from __future__ import annotations

from pathlib import Path

import pytest

from orgmodel.plugin.host import PluginHost
from orgmodel.simulate import SimulationSpec

DOC = (Path(__file__).resolve().parents[1] / "docs" / "simulation.md").read_text(encoding="utf-8")


def _section(title: str) -> str:
    start = DOC.index(title)
    end = DOC.find("\n## ", start + 1)
    return DOC[start:end if end > 0 else None]


@pytest.mark.parametrize("key", sorted(SimulationSpec.model_fields))
def test_every_simulation_key_is_documented(key: str) -> None:
    assert f"| `{key}` |" in _section("## The `simulation:` key"), key


def _party():
    return PluginHost().behaviour_models().get("party")


def test_every_parameter_is_documented_with_its_default_and_source() -> None:
    model = _party()
    table = _section("### Its parameters")
    rows = {line.split("|")[1].strip().strip("`"): line for line in table.splitlines() if line.startswith("| `")}
    for name, info in model.Params.model_fields.items():
        assert name in rows, f"{name} is not documented"
        default = info.default
        if isinstance(default, tuple):
            assert all(str(v) in rows[name] for v in default), name
        elif isinstance(default, bool):
            assert f"`{str(default).lower()}`" in rows[name], name
        else:
            assert f"`{default}`" in rows[name] or f"`{default:g}`" in rows[name], f"{name}: default {default}"
        source = rows[name].split("|")[3].strip()
        assert source, f"{name} has no source"
    assert set(rows) == set(model.Params.model_fields), set(rows) ^ set(model.Params.model_fields)


def test_every_party_metric_is_documented() -> None:
    table = _section("### Its metrics")
    for metric in _party().metrics:
        assert f"| `{metric.name}` |" in table, metric.name
