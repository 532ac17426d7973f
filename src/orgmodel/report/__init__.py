"""The report of a run: one self-contained HTML file, the same as Markdown, and every diagram as files.

:func:`write_report` draws the org charts (baseline and each variant), the before/after charts
(one per variant, and a small-multiples page of all of them) and the branch-size distributions,
and writes ``report.html`` (inline SVG, no network access needed), ``report.md`` and
``diagrams/*.{svg,png,pdf}`` into a folder. Counts only: people's names never appear, since the
report shows units, numbers and reasons.
"""

from orgmodel.report.build import REPORT_SECTIONS, write_report

__all__ = ["write_report", "REPORT_SECTIONS"]
