"""Where each value of a loaded file is (:class:`Locator`), and field paths as text (:func:`format_path`).

>>> format_path(("variants", 0, "steps", 1, "params", "k"))
'variants[0].steps[1].params.k'
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

__all__ = ["Locator", "format_path", "short", "FieldPath"]

FieldPath = tuple[Any, ...]
"""A path of mapping keys and list indexes from the top of a file."""


class Locator:
    """Where each key and list item of a loaded file is: field path -> (line, column), 1-based.

    For a mapping key the position is the key's; for a list item it is the item's.

    >>> where = Locator({("a",): (2, 1), ("a", 0): (3, 5)})
    >>> where.locate(("a", 0))
    (3, 5)
    >>> where.locate(("a", 0, "missing"))
    (3, 5)
    >>> where.locate(())
    (1, 1)
    """

    def __init__(self, positions: Mapping[FieldPath, tuple[int, int]] | None = None) -> None:
        self._positions: dict[FieldPath, tuple[int, int]] = dict(positions or {})

    def add(self, path: Iterable[Any], line: int, column: int) -> None:
        """Record that ``path`` starts at ``line``:``column`` (1-based)."""
        self._positions[tuple(path)] = (line, column)

    def items(self) -> Iterable[tuple[FieldPath, tuple[int, int]]]:
        """Every recorded (path, position)."""
        return self._positions.items()

    def __contains__(self, path: object) -> bool:
        return isinstance(path, tuple) and path in self._positions

    def __len__(self) -> int:
        return len(self._positions)

    def __repr__(self) -> str:
        return f"Locator({len(self._positions)} positions)"

    def locate(self, path: Iterable[Any]) -> tuple[int | None, int | None]:
        """Return (line, column) of ``path``, or of its longest recorded prefix; root is (1, 1)."""
        path = tuple(path)
        for n in range(len(path), 0, -1):
            pos = self._positions.get(path[:n])
            if pos is not None:
                return pos
        return self._positions.get((), (1, 1))


_SIMPLE_KEY = re.compile(r"\w[\w-]*\Z")


def format_path(path: Iterable[Any]) -> str:
    """Render a field path as text: keys dotted, list indexes in brackets.

    >>> format_path(("units", "a.b", "size"))
    "units['a.b'].size"
    >>> format_path(())
    ''
    """
    out = ""
    for elem in path:
        if isinstance(elem, int) and not isinstance(elem, bool):
            out += f"[{elem}]"
        elif isinstance(elem, str) and _SIMPLE_KEY.match(elem):
            out += f".{elem}" if out else elem
        else:
            out += f"[{short(repr(elem))}]"
    return out


def short(text: str, limit: int = 40) -> str:
    """``text`` cut to ``limit`` characters, with ``...`` when cut.

    >>> short("x" * 50, 10)
    'xxxxxxx...'
    """
    return text if len(text) <= limit else text[: limit - 3] + "..."
