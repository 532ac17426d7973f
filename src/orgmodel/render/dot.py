r"""Safe DOT writing and running Graphviz ``dot``.

Nothing a user typed (a unit's name, an id) ever reaches a DOT file unescaped. Two ways in:

- :func:`quote` makes a DOT quoted string for text attributes (``tooltip``, ``id``, plain
  ``label``): backslashes are doubled (so ``\N`` or ``\l`` in a name stay literal), ``"`` is
  escaped, ``&`` becomes ``&amp;`` (Graphviz decodes entities in labels, so a name containing
  ``&amp;`` is shown as typed), newlines become ``\n`` line breaks;
- :func:`html` escapes text for HTML-like labels (full XML escaping, and backslashes doubled,
  since Graphviz expands ``\N`` there too); :class:`Html` marks a finished HTML-like label so
  :func:`format_attrs` writes it between ``<`` and ``>``.

Control characters (which no SVG may contain) are replaced by U+FFFD in both.

>>> print(quote('鹤北"一"\\支部 & \\N'))
"鹤北\"一\"\\支部 &amp; \\N"
>>> print(html('A&B <c> \\N'))
A&amp;B &lt;c&gt; \\N
>>> print(format_attrs({"label": Html("<B>x</B>"), "tooltip": "a\nb", "width": 1.5}))
[label=<<B>x</B>>, tooltip="a\nb", width=1.5]

:func:`run_dot` runs Graphviz (``dot``) with a timeout and returns the output bytes; a missing
Graphviz is a :class:`~orgmodel.errors.UserError` naming the command to install it.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from orgmodel.errors import UserError

__all__ = [
    "FONT",
    "FONT_FALLBACKS",
    "FORMATS",
    "Html",
    "Graph",
    "quote",
    "html",
    "clean_text",
    "format_attrs",
    "dot_executable",
    "dot_available",
    "run_dot",
]

#: The font every chart uses (a CJK font, so Chinese renders as glyphs, not boxes).
FONT = "Noto Sans CJK SC"
#: Written into SVG output after :data:`FONT`, for viewers on machines without it.
FONT_FALLBACKS = ("Source Han Sans SC", "Microsoft YaHei", "PingFang SC", "WenQuanYi Micro Hei", "sans-serif")
#: Output formats :func:`run_dot` produces.
FORMATS = ("svg", "png", "pdf")

INSTALL_HINT = (
    "install Graphviz: apt-get install graphviz (Debian/Ubuntu), dnf install graphviz (Fedora), "
    "brew install graphviz (macOS) or conda install -c conda-forge graphviz; "
    "or set ORGMODEL_DOT to the dot executable"
)

_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f]")
_ID = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


class Html(str):
    """A finished HTML-like label: written as ``<...>`` by :func:`format_attrs`, unchanged."""

    __slots__ = ()


def clean_text(text: object) -> str:
    """``str(text)`` with control characters replaced (tabs become spaces, newlines stay)."""
    return _CONTROL.sub("\ufffd", str(text).replace("\r\n", "\n").replace("\r", "\n").replace("\t", " "))


def quote(text: object, *, newlines: bool = True) -> str:
    """A DOT quoted string showing ``text`` exactly; ``newlines=False`` turns them into spaces."""
    s = clean_text(text).replace("\\", "\\\\").replace('"', '\\"').replace("&", "&amp;")
    s = s.replace("\n", "\\n" if newlines else " ")
    return f'"{s}"'


def html(text: object, *, newlines: bool = True) -> str:
    """``text`` escaped for the inside of an HTML-like label (newlines become ``<BR/>``)."""
    # backslashes are doubled: Graphviz replaces \N, \G... in HTML-like labels too
    s = clean_text(text).replace("\\", "\\\\")
    s = s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    s = s.replace('"', "&quot;").replace("'", "&#39;")
    return s.replace("\n", '<BR ALIGN="CENTER"/>' if newlines else " ")


def _value(value: object) -> str:
    if isinstance(value, Html):
        return f"<{value}>"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return f"{value:.4g}"
    return quote(value)


def format_attrs(attrs: Mapping[str, object]) -> str:
    """``[k=v, ...]`` in the given order; ``None`` values are left out; keys must be plain names."""
    parts = []
    for key, value in attrs.items():
        if value is None:
            continue
        if not _ID.match(key):
            raise ValueError(f"bad DOT attribute name {key!r}")
        parts.append(f"{key}={_value(value)}")
    return "[" + ", ".join(parts) + "]" if parts else ""


def node_id(name: str) -> str:
    """A DOT node id: plain names as they are, anything else quoted."""
    return name if _ID.match(name) else quote(name, newlines=False)


@dataclass
class Graph:
    """A directed graph written out as DOT text, statements in the order they were added.

    >>> g = Graph("chart", attrs={"rankdir": "TB"})
    >>> g.node("a", label="A \\"1\\"")
    >>> g.node("b", label=Html("<B>B</B>"))
    >>> g.edge("a", "b", dir="none")
    >>> g.same_rank(["a", "b"])
    >>> print(g.to_dot(font=None), end="")
    digraph chart {
      rankdir="TB";
      a [label="A \\"1\\""];
      b [label=<<B>B</B>>];
      a -> b [dir="none"];
      { rank=same; a; b; }
    }
    """

    name: str = "G"
    attrs: dict[str, object] = field(default_factory=dict)
    node_defaults: dict[str, object] = field(default_factory=dict)
    edge_defaults: dict[str, object] = field(default_factory=dict)
    lines: list[str] = field(default_factory=list)
    n_nodes: int = 0
    n_edges: int = 0

    def node(self, name: str, **attrs: object) -> None:
        """Add a node (``name`` is quoted unless it is a plain identifier)."""
        self.n_nodes += 1
        self.lines.append(f"{node_id(name)} {format_attrs(attrs)}".rstrip() + ";")

    def update(self, name: str, **attrs: object) -> None:
        """Set more attributes on a node added before."""
        self.lines.append(f"{node_id(name)} {format_attrs(attrs)}".rstrip() + ";")

    def edge(self, tail: str, head: str, **attrs: object) -> None:
        """Add an edge."""
        self.n_edges += 1
        self.lines.append(f"{node_id(tail)} -> {node_id(head)} {format_attrs(attrs)}".rstrip() + ";")

    def same_rank(self, names: Iterable[str]) -> None:
        """Put nodes on one rank."""
        inner = " ".join(f"{node_id(n)};" for n in names)
        self.lines.append(f"{{ rank=same; {inner} }}")

    def comment(self, text: str) -> None:
        """A ``//`` comment line (newlines removed)."""
        self.lines.append("// " + clean_text(text).replace("\n", " "))

    def to_dot(self, *, font: str | None = FONT) -> str:
        """The DOT text; ``font`` is set on the graph, nodes and edges unless None."""
        out = [f"digraph {node_id(self.name)} {{"]
        graph_attrs = dict(self.attrs)
        node_attrs = dict(self.node_defaults)
        edge_attrs = dict(self.edge_defaults)
        if font:
            for d in (graph_attrs, node_attrs, edge_attrs):
                d.setdefault("fontname", font)
        out += [f"  {k}={_value(v)};" for k, v in graph_attrs.items() if v is not None]
        if node_attrs:
            out.append(f"  node {format_attrs(node_attrs)};")
        if edge_attrs:
            out.append(f"  edge {format_attrs(edge_attrs)};")
        out += [f"  {line}" for line in self.lines]
        out.append("}")
        return "\n".join(out) + "\n"


def dot_executable() -> str | None:
    """Path of Graphviz ``dot`` (``ORGMODEL_DOT`` if set, else found on PATH), or None."""
    configured = os.environ.get("ORGMODEL_DOT")
    if configured:
        return configured if os.path.isfile(configured) and os.access(configured, os.X_OK) else None
    return shutil.which("dot")


def dot_available() -> bool:
    """Whether Graphviz ``dot`` can be run."""
    return dot_executable() is not None


def run_dot(dot_text: str, fmt: str = "svg", *, timeout: float = 300.0, dpi: float | None = None) -> bytes:
    """Lay out and draw DOT text with Graphviz; return the ``svg``/``png``/``pdf`` bytes.

    PNG and PDF are drawn through cairo (real glyphs from the installed CJK font); SVG text names
    :data:`FONT` followed by :data:`FONT_FALLBACKS`. ``dpi`` sets the PNG resolution (Graphviz
    default 96). Raises :class:`UserError` when Graphviz is missing, fails or takes longer than
    ``timeout`` seconds.
    """
    if fmt not in FORMATS:
        raise UserError(f"unknown chart format {fmt!r} (use one of: {', '.join(FORMATS)})")
    exe = dot_executable()
    if exe is None:
        raise UserError(f"Graphviz 'dot' was not found; {INSTALL_HINT}")
    device = {"svg": "svg", "png": "png:cairo", "pdf": "pdf:cairo"}[fmt]
    cmd = [exe, f"-T{device}"]
    if dpi is not None and fmt == "png":
        cmd.append(f"-Gdpi={float(dpi):g}")
    try:
        proc = subprocess.run(cmd, input=dot_text.encode("utf-8"), capture_output=True, timeout=timeout, check=False)
    except subprocess.TimeoutExpired:
        raise UserError(
            f"Graphviz dot took longer than {timeout:g} s; draw fewer units (a smaller budget or depth)"
        ) from None
    except OSError as exc:
        raise UserError(f"cannot run Graphviz dot ({exe}): {exc.strerror or exc}; {INSTALL_HINT}") from None
    if proc.returncode != 0 or not proc.stdout:
        errors = [ln for ln in proc.stderr.decode("utf-8", "replace").splitlines() if ln.strip()]
        first = next((ln for ln in errors if ln.lower().startswith(("error", "syntax"))), errors[0] if errors else "")
        raise UserError(f"Graphviz dot failed (exit {proc.returncode}): {first.strip() or 'no output'}")
    out = proc.stdout
    if fmt == "svg":
        fallback = ",".join([FONT, *FONT_FALLBACKS])
        out = out.replace(f'font-family="{FONT}"'.encode(), f'font-family="{fallback}"'.encode())
    return out
