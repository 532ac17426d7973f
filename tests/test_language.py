"""One language throughout: with ``--lang zh`` no English word, with ``--lang en`` no Chinese.

For ready scenarios, run with each language (report as HTML, Markdown and Word, the simulation
section included), print ``info``, write the implementation pack of every variant that changes
something, and scan everything a reader sees: the command's own lines, the report's visible text,
the text of every chart (each SVG of the report's diagrams, paper pages included), the Word
document's paragraphs and tables, and every sheet name, header and value of the pack's
workbook. What may stay in the other language:

- ids and file names (variant, plugin, roster-table and behaviour-model ids; anything dotted,
  slashed, hyphenated or with digits; ``orgmodel`` and its commands; Python, numpy);
- in English, names: the units' names, what the planner wrote in the scenario file (labels,
  descriptions, reasons of hand-written steps, role holders) and the titles of the rule sources.
"""

from __future__ import annotations

import contextlib
import csv
import io
import json
import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from orgmodel.cli import main
from orgmodel.render import dot_available

ROOT = Path(__file__).resolve().parents[1]
SCENARIOS = ("qisan", "three-villages")
PROPER_NAMES = {"orgmodel", "Python", "numpy", "Dask"}

pytestmark = pytest.mark.skipif(not dot_available(), reason="Graphviz dot is not installed (scripts/setup.sh installs it)")


def _say(argv: list[str]) -> str:
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        assert main(argv) == 0, argv
    return out.getvalue()


def _visible(html: str) -> str:
    """The text a reader of the HTML report sees (charts are drawn from the same words, and their
    ids are file names)."""
    html = re.sub(r"<svg.*?</svg>", "", html, flags=re.S)
    html = re.sub(r"<style>.*?</style>", "", html, flags=re.S)
    html = re.sub(r"<code>[^<]*</code>", "", html)
    html = re.sub(r'<a href="diagrams/[^"]*">[^<]*</a>', "", html)
    return re.sub(r"<[^>]+>", " ", html).replace("&#39;", "'").replace("&amp;", "&")


def _svg_text(path: Path) -> str:
    """The text of a chart: every text and tspan element, and the tooltips (a reader sees them
    when pointing at a box)."""
    import html as html_lib

    svg = path.read_text(encoding="utf-8")
    parts = re.findall(r"<text\b[^>]*>(.*?)</text>", svg, flags=re.S)
    parts += re.findall(r'xlink:title="([^"]*)"', svg)
    return "\n".join(html_lib.unescape(re.sub(r"<[^>]+>", " ", p)) for p in parts)


def _docx_text(path: Path) -> str:
    from docx import Document

    document = Document(str(path))
    parts = [p.text for p in document.paragraphs]
    parts += [cell.text for table in document.tables for row in table.rows for cell in row.cells]
    return "\n".join(parts)


def _workbook_text(path: Path, id_columns: tuple[str, ...]) -> str:
    """Sheet names, headers and values of a workbook, the columns of ids and rule ids aside."""
    from openpyxl import load_workbook

    parts = []
    for sheet in load_workbook(path).worksheets:
        rows = list(sheet.iter_rows(values_only=True))
        header = [str(h) for h in rows[0]]
        parts.append(sheet.title + "\n" + "\n".join(header))
        for row in rows[1:]:
            parts += [str(v) for title, v in zip(header, row, strict=True)
                      if v is not None and not title.endswith(id_columns)]
    return "\n".join(parts)


def _strings(node: Any) -> list[str]:
    """Every string of a parsed YAML document."""
    if isinstance(node, str):
        return [node]
    if isinstance(node, dict):
        return [s for k, v in node.items() for s in _strings(k) + _strings(v)]
    if isinstance(node, list):
        return [s for v in node for s in _strings(v)]
    return []


def _ids(folder: Path) -> set[str]:
    """The ids a results folder names: variants, plugins, roster tables, behaviour model."""
    run = json.loads((folder / "run.json").read_text(encoding="utf-8"))
    ids = {v["name"] for v in run["variants"]}
    manifest = folder / "simulation" / "manifest.json"
    if manifest.is_file():
        m = json.loads(manifest.read_text(encoding="utf-8"))
        ids |= {p["name"] for p in m["versions"]["plugins"]}
        ids |= set((m.get("scenario") or {}).get("rosters") or {})
        ids.add(str(m["simulation"].get("model")))
    return ids


def _names(folder: Path, scenario: Path) -> set[str]:
    """What may stay Chinese in English: unit names, the planner's own words (every string of the
    scenario file) and the titles of the rule sources."""
    names = set(_strings(yaml.safe_load(scenario.read_text(encoding="utf-8"))))
    for units in folder.glob("variants/*/units.json"):
        names |= {u["name"] for u in json.loads(units.read_text(encoding="utf-8"))["units"]}
    with open(folder / "findings.csv", encoding="utf-8", newline="") as f:
        names |= {row["source"] for row in csv.DictReader(f)}
    return {n for n in names if re.search(r"[\u4e00-\u9fff]", n)}


def english_words(text: str, ids: set[str]) -> list[str]:
    """English words of a text, ids, file names and commands aside.

    >>> english_words("共 3 个方案（team-branches），见 report.html；用 orgmodel rerun 重现", set())
    []
    >>> english_words("党员 members", set())
    ['members']
    """
    text = re.sub(r"\]\([^)]*\)", "]", text)  # Markdown link targets
    text = re.sub(r"`[^`]*`", "", text)
    text = re.sub(r"orgmodel \w+", "", text)  # the program and its commands
    text = re.sub(r"属性 \w+", "", text)  # an attribute's id (未测量：缺少数据（组织属性 elected）)
    text = re.sub(r"\b[\w.-]*[._/-][\w./-]*\b", "", text)  # dotted, slashed or hyphenated ids, file names
    text = re.sub(r"\b[A-Za-z]*\d[\w-]*", "", text)  # ids with digits, hashes
    return [w for w in re.findall(r"[A-Za-z]{2,}", text) if w not in ids and w not in PROPER_NAMES]


def chinese_words(text: str, names: set[str]) -> list[str]:
    """Runs of Chinese characters and full-width punctuation of a text that are not names: a run
    is a name when it is one, or is part of one (a name quoted inside an English sentence).

    >>> chinese_words("高桥村党支部 (3 members): 共3人; the 高桥 pattern", {"高桥村党支部"})
    ['共', '人']
    """
    for name in sorted(names, key=len, reverse=True):
        text = text.replace(name, " ")
    runs = re.findall(r"[\u3000-\u303f\u4e00-\u9fff\uff00-\uffef]+", text)
    return [r for r in runs if not any(r in name for name in names)]


@pytest.fixture(scope="module", params=[(s, lang) for s in SCENARIOS for lang in ("zh", "en")],
                ids=lambda p: f"{p[0]}-{p[1]}")
def seen(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> tuple[str, dict[str, str], set[str]]:
    """(language, what a reader sees by where, what may stay in the other language)."""
    name, lang = request.param
    scenario = ROOT / "scenarios" / name / "scenario.yaml"
    out = tmp_path_factory.mktemp(f"lang-{name}-{lang}") / "run"
    texts = {"run": _say(["run", str(scenario), "--out", str(out), "--lang", lang, "--docx", "--replications", "2"]),
             "info": _say(["info", str(scenario), "--lang", lang]),
             "validate": _say(["validate", str(scenario), "--lang", lang])}
    report = out / "report"
    texts["report.md"] = (report / "report.md").read_text(encoding="utf-8")
    texts["report.html"] = _visible((report / "report.html").read_text(encoding="utf-8"))
    texts["report.docx"] = _docx_text(report / "report.docx")
    texts["charts"] = "\n".join(_svg_text(path) for path in sorted((report / "diagrams").rglob("*.svg")))
    run = json.loads((out / "run.json").read_text(encoding="utf-8"))
    id_columns = ("编号", "代码", "规则") if lang == "zh" else ("(id)", " id", "code", "rule")
    for v in run["variants"]:
        if v["steps"]:
            pack = out / f"pack-{v['name']}"
            texts[f"pack {v['name']}"] = _say(["pack", str(out), "--variant", v["name"], "--out", str(pack), "--lang", lang])
            texts[f"pack {v['name']}.xlsx"] = _workbook_text(pack / "implementation.xlsx", id_columns)
    allowed = _ids(out) if lang == "zh" else _names(out, scenario)
    texts_seen = {k: v for k, v in texts.items()}
    texts_seen["folder"] = str(out)  # a path, for the test of ids
    return lang, texts_seen, allowed


def test_every_output_speaks_the_chosen_language(seen: tuple[str, dict[str, str], set[str]]) -> None:
    lang, texts, allowed = seen
    assert {"report.md", "report.html", "report.docx", "info", "charts"} <= set(texts)
    assert any(k.endswith(".xlsx") for k in texts)
    wrong = {}
    for where, text in texts.items():
        if where == "folder":
            continue
        assert text.strip(), where
        found = english_words(text, allowed) if lang == "zh" else chinese_words(text, allowed)
        if found:
            wrong[where] = sorted(set(found))[:12]
    assert not wrong, f"--lang {lang}: words of the other language: {wrong}"


def test_charts_name_rules_and_strategies_in_words(seen: tuple[str, dict[str, str], set[str]],
                                                    tmp_path: Path) -> None:
    """Ids the scan above lets pass (dotted rule ids, hyphenated strategy ids) are no words for a
    reader: the charts give a rule by its title, the report a strategy by its label, also when the
    report is written straight from the results folder (without the labels handed in)."""
    from orgmodel.api import strategy_labels
    from orgmodel.report import write_report

    lang, texts, _ = seen
    folder = Path(texts["folder"])
    with open(folder / "findings.csv", encoding="utf-8", newline="") as f:
        known = {row["rule"] for row in csv.DictReader(f)}
    shown = set(re.findall(r"\b[a-z_]+\.[a-z_.]+\b", texts["charts"])) & known
    assert not shown, f"rule ids in the chart texts: {sorted(shown)}"
    labels = strategy_labels(lang)
    write_report(folder, tmp_path, lang=lang, formats=("svg",))
    md = (tmp_path / "report.md").read_text(encoding="utf-8")
    word = "做法：" if lang == "zh" else "steps: "
    steps = re.findall(re.escape(word) + r"([^）)\n]*)", md)
    assert steps
    for line in steps:
        assert not set(re.split(r"[；;] ?", line.strip())) & set(labels), line
