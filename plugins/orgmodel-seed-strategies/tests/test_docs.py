"""Every strategy of this plugin has its page, and the page names every parameter."""

from pathlib import Path

import pytest

from orgmodel_seed_strategies.registry import strategies

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.parametrize("strategy", strategies(), ids=lambda s: s.name)
def test_strategy_has_a_page_naming_every_parameter(strategy) -> None:
    page = ROOT / "docs" / f"{strategy.name}.md"
    assert page.is_file(), page
    text = page.read_text(encoding="utf-8")
    for field in strategy.Params.model_fields:
        assert f"`{field}`" in text, f"{strategy.name}: parameter {field} is not documented"
    assert f"`{strategy.name}`" in (ROOT / "README.md").read_text(encoding="utf-8")
