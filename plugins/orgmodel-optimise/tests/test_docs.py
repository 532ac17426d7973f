"""The strategy has its page, and the page and the README name every parameter."""

from pathlib import Path

from orgmodel_optimise.strategy import Optimise

ROOT = Path(__file__).resolve().parents[1]


def test_every_parameter_is_documented() -> None:
    strategy = Optimise()
    page = (ROOT / "docs" / f"{strategy.name}.md").read_text(encoding="utf-8")
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert f"`{strategy.name}`" in readme
    for field in strategy.Params.model_fields:
        assert f"| `{field}` |" in page, f"parameter {field} has no row on the page"
        assert f"`{field}`" in readme, f"parameter {field} is not named in the README"


def test_every_reason_code_is_documented() -> None:
    page = (ROOT / "docs" / "optimise.md").read_text(encoding="utf-8")
    for code in Optimise.templates:
        assert f"`{code}`" in page, code
