"""Small vectorised helpers shared by the parts of the party model.

>>> round(per_period(0.12, 1), 5)
0.0106
>>> keys = np.array([1, 0, 1, 1, 0]); score = np.array([0.3, 0.9, 0.8, 0.1, 0.2])
>>> top_per_key(keys, score, np.array([1, 2])).tolist()
[0, 1, 2]
"""

from __future__ import annotations

import numpy as np

__all__ = ["per_period", "top_per_key", "rank_within", "pick_within", "role_mask"]


def role_mask(roles: np.ndarray, codes: np.ndarray, n_roles: int) -> np.ndarray:
    """Whether each role code (-1 = none) is one of ``codes`` (a table lookup, not ``isin``).

    >>> role_mask(np.array([-1, 0, 2, 1]), np.array([2, 1]), 3).tolist()
    [False, False, True, True]
    """
    table = np.zeros(n_roles + 1, dtype=bool)
    table[np.asarray(codes, dtype=np.int64)] = True
    return table[roles]


def per_period(rate: float | np.ndarray, months: int) -> float | np.ndarray:
    """A yearly probability as the probability over ``months`` months."""
    return 1.0 - (1.0 - np.asarray(rate, dtype=float)) ** (months / 12.0) if np.ndim(rate) else \
        1.0 - (1.0 - float(rate)) ** (months / 12.0)


def top_per_key(keys: np.ndarray, score: np.ndarray, need: np.ndarray) -> np.ndarray:
    """Rows with the highest ``score`` within each key, ``need[key]`` of them; row indexes, sorted.

    Keys index ``need``; rows with a negative key are never chosen.
    """
    wanted = np.flatnonzero(need > 0)
    if not len(wanted):
        return np.empty(0, dtype=np.int64)
    ok = keys >= 0
    ok[ok] = need[keys[ok]] > 0
    rows = np.flatnonzero(ok)
    if not len(rows):
        return rows
    k = keys[rows].astype(np.int64)
    order = np.lexsort((-score[rows], k))
    k_sorted = k[order]
    rank = np.arange(len(k_sorted)) - _group_starts(k_sorted)
    chosen = rows[order[rank < need[k_sorted]]]
    return np.sort(chosen)


def _group_starts(sorted_keys: np.ndarray) -> np.ndarray:
    """For each row of sorted keys, the index of the first row with the same key."""
    n = len(sorted_keys)
    if not n:
        return np.empty(0, dtype=np.int64)
    new = np.empty(n, dtype=bool)
    new[0] = True
    np.not_equal(sorted_keys[1:], sorted_keys[:-1], out=new[1:])
    return np.maximum.accumulate(np.where(new, np.arange(n), 0))


def rank_within(keys: np.ndarray, score: np.ndarray) -> np.ndarray:
    """Each row's rank by ``score`` (highest first) among rows of the same key."""
    order = np.lexsort((-score, keys))
    out = np.empty(len(keys), dtype=np.int64)
    out[order] = np.arange(len(keys)) - _group_starts(keys[order])
    return out


def pick_within(group_of_row: np.ndarray, n_groups: int, wanted_group: np.ndarray,
                rng: np.random.Generator) -> np.ndarray:
    """For each wanted group, a uniformly random row of that group (-1 where it has none)."""
    order = np.argsort(group_of_row, kind="stable")
    counts = np.bincount(group_of_row, minlength=n_groups)
    offsets = np.concatenate([[0], np.cumsum(counts)])
    n = counts[wanted_group]
    pick = offsets[wanted_group] + np.floor(rng.random(len(wanted_group)) * np.maximum(n, 1)).astype(np.int64)
    return np.where(n > 0, order[np.minimum(pick, len(order) - 1)] if len(order) else -1, -1)
