"""Packing items into branches: consecutive chunks within a cap, balanced chunks, merging small ones,
bins of a fixed count, and even parts.

Items are indices into the weights given (households, buildings, firms, divisions...); every
function is deterministic and keeps the items' order where it says so.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

__all__ = ["pack_greedy", "pack_balanced", "merge_small", "fit_decreasing", "even_parts", "even_slices", "Groups",
           "distinct"]


def pack_greedy(weights: Sequence[float], cap: float, max_items: int | None = None) -> list[list[int]]:
    """Split items (in order) into consecutive chunks whose weight stays within ``cap`` (and with at
    most ``max_items`` items each, when given).

    An item heavier than ``cap`` gets a chunk of its own.

    >>> pack_greedy([10, 20, 30, 5, 60], 40)
    [[0, 1], [2, 3], [4]]
    >>> pack_greedy([1, 1, 1], 40, max_items=2)
    [[0, 1], [2]]
    """
    chunks: list[list[int]] = []
    cur: list[int] = []
    total = 0.0
    for i, w in enumerate(weights):
        if cur and (total + w > cap or (max_items is not None and len(cur) >= max_items)):
            chunks.append(cur)
            cur, total = [], 0.0
        cur.append(i)
        total += w
    if cur:
        chunks.append(cur)
    return chunks


def pack_balanced(weights: Sequence[float], cap: float) -> list[list[int]]:
    """Split items (in order) into as few consecutive chunks within ``cap`` as possible, of similar weight.

    The number of chunks is ``ceil(total / cap)`` when the items allow it; the smallest per-chunk
    limit that reaches it is used, so the last chunk is not a small remainder.

    >>> pack_balanced([25, 15, 10, 2], 50)
    [[0], [1, 2, 3]]
    >>> pack_greedy([25, 15, 10, 2], 50)
    [[0, 1, 2], [3]]
    """
    total = float(sum(weights))
    if total <= cap:
        return [list(range(len(weights)))]
    k = math.ceil(total / cap)
    lo = max(math.ceil(total / k), math.ceil(max(weights)))
    for limit in range(int(lo), int(math.floor(cap)) + 1):
        chunks = pack_greedy(weights, limit)
        if len(chunks) <= k:
            return chunks
    return pack_greedy(weights, cap)


def merge_small(chunks: list[list[int]], full: Sequence[int], min_full: int) -> list[list[int]]:
    """Merge chunks with fewer than ``min_full`` full members (``full[i]`` per item) into a neighbour.

    Small chunks are gathered in order until they reach ``min_full``; a short remainder joins the
    chunk before it (or, if it is the only one, stays as it is).

    >>> merge_small([[0], [1], [2], [3]], [5, 1, 1, 4], 3)
    [[0], [1, 2, 3]]
    >>> merge_small([[0], [1]], [5, 1], 3)
    [[0, 1]]
    """
    out: list[list[int]] = []
    pending: list[int] = []
    pending_full = 0
    for chunk in chunks:
        chunk_full = int(full[chunk[0]]) if len(chunk) == 1 else sum(int(full[i]) for i in chunk)
        if chunk_full >= min_full and not pending:
            out.append(list(chunk))
            continue
        pending.extend(chunk)
        pending_full += chunk_full
        if pending_full >= min_full:
            out.append(pending)
            pending, pending_full = [], 0
    if pending:
        if out:
            out[-1] = out[-1] + pending
        else:
            out.append(pending)
    return out


def fit_decreasing(counts: np.ndarray, order: np.ndarray, k: int, capacity: int) -> np.ndarray | None:
    """Pack items (in ``order``, largest first) into ``k`` bins of ``capacity``: best fit, then first
    fit; the bin of each item, or None if neither fits.

    >>> fit_decreasing(np.array([30, 20, 20, 10]), np.array([0, 1, 2, 3]), 2, 40).tolist()
    [0, 1, 1, 0]
    >>> fit_decreasing(np.array([30, 30]), np.array([0, 1]), 1, 40) is None
    True
    """
    for best in (True, False):
        load = np.zeros(k, dtype=np.int64)
        part = np.empty(len(counts), dtype=np.int64)
        for i in order.tolist():
            fits = np.flatnonzero(load + counts[i] <= capacity)
            if not len(fits):
                break
            p = int(fits[int(np.argmax(load[fits]))]) if best else int(fits[0])
            part[i] = p
            load[p] += counts[i]
        else:
            return part
    return None


def even_parts(ordered: Sequence[int] | np.ndarray, k: int) -> list[np.ndarray]:
    """Cut items (already in the wanted order) into ``k`` consecutive parts whose sizes differ by at most one.

    >>> [p.tolist() for p in even_parts([5, 3, 9, 1, 7], 2)]
    [[5, 3, 9], [1, 7]]
    """
    return np.array_split(np.asarray(ordered, dtype=np.int64), k)


def even_slices(ordered: Sequence[int], k: int) -> list[list[int]]:
    """:func:`even_parts` as lists, without numpy: for the many small sets where its per-call cost dominates.

    >>> even_slices([5, 3, 9, 1, 7], 2) == [p.tolist() for p in even_parts([5, 3, 9, 1, 7], 2)]
    True
    """
    each, extra = divmod(len(ordered), k)
    out, start = [], 0
    for i in range(k):
        stop = start + each + (1 if i < extra else 0)
        out.append(list(ordered[start:stop]))
        start = stop
    return out


class Groups:
    """Rows grouped by an integer key in one stable sort: ``groups[k]`` are the rows (positions in
    ``keys``) whose key is ``k``, ascending; keys below 0 belong to no group. For per-group work
    without a scan of every row per group.

    >>> g = Groups(np.array([2, 0, 2, -1, 0]), 3)
    >>> g[0].tolist(), g[1].tolist(), g[2].tolist(), g.count(2)
    ([1, 4], [], [0, 2], 2)
    """

    def __init__(self, keys: np.ndarray, n: int) -> None:
        keys = np.asarray(keys, dtype=np.int64)
        rows = np.flatnonzero(keys >= 0)
        self.order = rows[np.argsort(keys[rows], kind="stable")]
        self.offsets = np.zeros(n + 1, dtype=np.int64)
        np.cumsum(np.bincount(keys[rows], minlength=n), out=self.offsets[1:])

    def __getitem__(self, k: int) -> np.ndarray:
        return self.order[self.offsets[k] : self.offsets[k + 1]]

    def count(self, k: int) -> int:
        """How many rows have key ``k``."""
        return int(self.offsets[k + 1] - self.offsets[k])


def distinct(keys: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The distinct keys (ascending), each key's index among them and how many times each occurs:
    ``np.unique(keys, return_inverse=True, return_counts=True)`` from one stable sort, cheaper on
    the many small arrays of per-branch work.

    >>> [a.tolist() for a in distinct(np.array([7, -1, 7, 3]))]
    [[-1, 3, 7], [2, 0, 2, 1], [1, 1, 2]]
    """
    keys = np.asarray(keys)
    order = keys.argsort(kind="stable")
    ordered = keys[order]
    new = np.empty(len(ordered), dtype=bool)
    new[:1] = True
    np.not_equal(ordered[1:], ordered[:-1], out=new[1:])
    starts = new.nonzero()[0]
    inverse = np.empty(len(keys), dtype=np.intp)
    inverse[order] = new.cumsum() - 1
    counts = np.empty(len(starts), dtype=np.intp)  # run lengths (np.diff with append is slower on small arrays)
    counts[:-1] = starts[1:] - starts[:-1]
    counts[-1:] = len(ordered) - starts[-1:]
    return ordered[starts], inverse, counts
