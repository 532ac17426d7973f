"""Plots as self-contained SVG: branch-size distributions, with the size rules drawn in.

Written directly (no plotting library): the report needs a few clean, printable charts with
Chinese labels in the report's font, and SVG text renders with whatever CJK font the reader has.

>>> svg = size_histogram({"现状": [12, 45, 80, 329], "方案": [20, 30, 40, 45]}, limit=50)
>>> svg.startswith("<svg") and "现状" in svg and "329" not in svg.split("</title>")[0]
True
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from html import escape

import numpy as np

__all__ = ["size_histogram", "FONT"]

FONT = "'Noto Sans CJK SC', 'Noto Sans CJK', 'Source Han Sans SC', 'Microsoft YaHei', 'PingFang SC', sans-serif"
PALETTE = ("#4e79a7", "#f28e2b", "#59a14f", "#e15759", "#76b7b2", "#edc948", "#b07aa1", "#ff9da7")


def size_histogram(
    sizes: Mapping[str, Sequence[float]],
    *,
    limit: float | None = 50,
    minimum: float | None = 3,
    bins: Sequence[float] | None = None,
    title: str = "支部规模分布",
    x_label: str = "支部党员人数",
    y_label: str = "支部数",
    width: int = 720,
    row_height: int = 150,
) -> str:
    """One histogram row per variant on a shared axis; the size limits as dashed lines."""
    names = list(sizes)
    all_sizes = np.concatenate([np.asarray(v, dtype=float) for v in sizes.values()]) if names else np.zeros(0)
    top = float(all_sizes.max()) if len(all_sizes) else 1.0
    if bins is None:
        edges = [0, 3, 10, 20, 30, 40, 50, 75, 100, 150, 200, 300]
        while edges[-1] < top:
            edges.append(edges[-1] * 2)
        bins = edges
    edges = np.asarray(bins, dtype=float)
    left, right, top_pad, bottom = 60, 20, 40, 46
    plot_w = width - left - right
    height = top_pad + row_height * max(len(names), 1) + bottom
    counts = [np.histogram(np.asarray(sizes[n], dtype=float), bins=edges)[0] for n in names]
    peak = max((int(c.max()) for c in counts if len(c)), default=1) or 1
    slot = plot_w / (len(edges) - 1)
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
             f'viewBox="0 0 {width} {height}" font-family="{escape(FONT)}" font-size="12">',
             f"<title>{escape(title)}</title>",
             f'<rect width="{width}" height="{height}" fill="white"/>',
             f'<text x="{width / 2}" y="22" text-anchor="middle" font-size="15" font-weight="bold">{escape(title)}</text>']
    for row, (name, count) in enumerate(zip(names, counts, strict=True)):
        y0 = top_pad + row * row_height
        base = y0 + row_height - 18
        usable = row_height - 40
        colour = PALETTE[row % len(PALETTE)]
        parts.append(f'<text x="{left}" y="{y0 + 14}" font-weight="bold">{escape(name)}</text>')
        parts.append(f'<line x1="{left}" y1="{base}" x2="{left + plot_w}" y2="{base}" stroke="#444"/>')
        for i, c in enumerate(count.tolist()):
            if c == 0:
                continue
            h = usable * c / peak
            x = left + i * slot + 2
            parts.append(f'<rect x="{x:.1f}" y="{base - h:.1f}" width="{slot - 4:.1f}" height="{h:.1f}" fill="{colour}">'
                         f"<title>{escape(name)}: {int(edges[i])}–{int(edges[i + 1]) - 1}: {c}</title></rect>")
            parts.append(f'<text x="{x + (slot - 4) / 2:.1f}" y="{base - h - 3:.1f}" text-anchor="middle" font-size="11">{c}</text>')
        for value, label, colour_line in ((limit, f"{limit:g}", "#c0392b"), (minimum, f"{minimum:g}", "#7f8c8d")):
            if value is None:
                continue
            idx = np.searchsorted(edges, value, side="left")
            x = left + idx * slot
            parts.append(f'<line x1="{x:.1f}" y1="{y0 + 20}" x2="{x:.1f}" y2="{base}" stroke="{colour_line}" '
                         f'stroke-dasharray="4 3"/>')
    axis_y = top_pad + row_height * max(len(names), 1) - 18
    for i, edge in enumerate(edges.tolist()):
        x = left + i * slot
        parts.append(f'<text x="{x:.1f}" y="{axis_y + 16}" text-anchor="middle" font-size="11">{int(edge)}</text>')
    parts.append(f'<text x="{left + plot_w / 2}" y="{height - 8}" text-anchor="middle">{escape(x_label)}</text>')
    parts.append(f'<text x="16" y="{top_pad + row_height / 2}" text-anchor="middle" '
                 f'transform="rotate(-90 16 {top_pad + row_height / 2})">{escape(y_label)}</text>')
    parts.append("</svg>")
    return "\n".join(parts)
