"""The report of a results folder: one self-contained HTML file, the same as Markdown, and every diagram as files.

:func:`write_report` reads a results folder (or a loaded :class:`~orgmodel.run.read.Results`),
draws the org charts (baseline and each variant), the before/after charts (one per variant, and a
small-multiples page of all of them; an org chart on paper pages a capped number of units below
the top, :mod:`orgmodel.report.paging`) and the branch-size distributions, and writes
``report.html`` (inline SVG, no network access needed), ``report.md`` and
``diagrams/*.{svg,png,pdf}`` into a folder. HTML and Markdown come from one data model
(:func:`report_model`) through jinja2 templates. Counts only: people's names never appear, since
the report shows units, numbers and reasons. :func:`write_pack` writes a variant's implementation
pack from the same folder.
"""

from orgmodel.report.build import REPORT_SECTIONS, render_report, write_report
from orgmodel.report.model import report_model
from orgmodel.report.pack import write_pack

__all__ = ["write_report", "render_report", "report_model", "write_pack", "REPORT_SECTIONS"]
