"""A Structure and a Comparison display in a notebook: as an org chart (SVG) and as a table (HTML)."""

from pathlib import Path

import pytest

from orgmodel.cli import main
from orgmodel.analysis.compare import load_comparison
from orgmodel.render import dot_available
from orgmodel.testing_data import tiny_structure

QISAN = Path(__file__).resolve().parents[1] / "scenarios" / "qisan" / "scenario.yaml"


@pytest.mark.skipif(not dot_available(), reason="Graphviz dot is not installed (scripts/setup.sh installs it)")
def test_structure_displays_as_an_org_chart() -> None:
    svg = tiny_structure()._repr_svg_()
    assert svg is not None and "<svg" in svg and "东区总支" in svg


def test_comparison_displays_as_a_table(tmp_path: Path) -> None:
    assert main(["run", str(QISAN), "--out", str(tmp_path / "out"), "--no-report"]) == 0
    html = load_comparison([tmp_path / "out"])._repr_html_()
    assert html.startswith("<table>") and "manual-upgrade" in html and "最大支部人数" in html
    assert "<b>48</b>" in html  # the better largest branch is marked


def test_the_model_imports_no_rendering() -> None:
    """The notebook display is attached from the render side: model/ names no render module."""
    import ast

    model = Path(__file__).resolve().parents[1] / "src" / "orgmodel" / "model"
    for path in model.glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else (
                [node.module or ""] if isinstance(node, ast.ImportFrom) else [])
            assert not [n for n in names if n.startswith(("orgmodel.render", "orgmodel.report"))], path.name
