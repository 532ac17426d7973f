"""Domain-neutral metrics: unit counts, branch sizes, hierarchy, change cost, hourglass, rooms.

>>> from orgmodel.analysis.metrics import MeasureContext, measure
>>> from orgmodel.testing_data import tiny_structure
>>> values = {v.name: v.value for v in measure(MeasureContext(tiny_structure()), BUILTIN_METRICS)}
>>> values["branch_size.max"], values["branch_size.median"], values["hierarchy.depth"]
(4.0, 3.5, 3.0)
"""

from __future__ import annotations

import numpy as np

from orgmodel.model.kinds import EXTERNAL, UNPLACED
from orgmodel.analysis.metrics import MeasureContext, Metric, Value

__all__ = ["BUILTIN_METRICS"]


def _plural(words: str) -> str:
    """The English plural of a kind's label.

    >>> _plural("general branch"), _plural("work group"), _plural("body")
    ('general branches', 'work groups', 'bodies')
    """
    if words.endswith(("ch", "sh", "s", "x")):
        return words + "es"
    if words.endswith("y") and words[-2:-1] not in "aeiou":
        return words[:-1] + "ies"
    return words + "s"


class UnitCounts(Metric):
    name = "units"
    label_zh = "组织数量"
    label_en = "units by kind"
    description = "Live organisation units of each kind."

    def compute(self, ctx: MeasureContext) -> list[Value]:
        s = ctx.structure
        counts = np.bincount(s.units.kind[ctx.is_org], minlength=len(s.kinds))
        out = []
        for code, kind in enumerate(s.kinds):
            if kind.role == "org" and not kind.id.startswith("core."):
                out.append(self.value(kind.id, int(counts[code]), f"{kind.label_zh}数", _plural(kind.label_en), unit="个"))
        return out


class BranchSize(Metric):
    name = "branch_size"
    label_zh = "支部规模"
    label_en = "branch size"
    description = "Distribution of branch sizes (all members); limits belong to the domain's rule pack."

    def compute(self, ctx: MeasureContext) -> list[Value]:
        sizes = ctx.branch_sizes
        have = len(sizes) > 0
        stat = (lambda f: float(f(sizes)) if have else None)
        return [
            self.value("count", len(sizes), "支部数", "branches", unit="个"),
            self.value("min", stat(np.min), "最小支部人数", "smallest branch", unit="人"),
            self.value("median", stat(np.median), "支部人数中位数", "median branch", unit="人"),
            self.value("p90", float(np.percentile(sizes, 90)) if have else None, "支部人数90分位", "90th percentile branch", unit="人", direction="lower"),
            self.value("max", stat(np.max), "最大支部人数", "largest branch", unit="人", direction="lower"),
        ]


class Hierarchy(Metric):
    name = "hierarchy"
    label_zh = "层级与管理幅度"
    label_en = "layers and span of control"
    description = "Layers of the organisation hierarchy and children per unit that has any."

    def compute(self, ctx: MeasureContext) -> list[Value]:
        depth = ctx.depth[ctx.is_org]
        spans = ctx.child_counts[ctx.is_org]
        spans = spans[spans > 0]
        return [
            self.value("depth", int(depth.max()) + 1 if len(depth) else 0, "组织层级", "layers", unit="层"),
            self.value("span_mean", float(spans.mean()) if len(spans) else None, "平均管理幅度", "mean span of control", unit="个"),
            self.value("span_max", int(spans.max()) if len(spans) else None, "最大管理幅度", "largest span of control", unit="个"),
        ]


class Placement(Metric):
    name = "placement"
    label_zh = "组织关系落实"
    label_en = "placement"
    description = "Members whose relation is not in a branch of the structure (unplaced or external)."

    def compute(self, ctx: MeasureContext) -> list[Value]:
        s = ctx.structure
        kind = s.units.kind[s.members["branch"]]
        active = s.members["active"]
        unplaced = int((active & (kind == s.kinds.code(UNPLACED))).sum())
        external = int((active & (kind == s.kinds.code(EXTERNAL))).sum())
        return [
            self.value("members", ctx.n_active, "成员总数", "members", unit="人"),
            self.value("unplaced", unplaced, "未落实组织关系", "unplaced", unit="人", direction="lower"),
            self.value("external", external, "外部", "external", unit="人"),
        ]


class ChangeCost(Metric):
    name = "change"
    label_zh = "调整成本"
    label_en = "change cost"
    description = "Against the baseline: members whose branch changed, units created, dissolved, retyped."

    def compute(self, ctx: MeasureContext) -> list[Value]:
        base = ctx.baseline
        if base is None:
            return []
        s = ctx.structure
        n = base.n_units
        active = s.members["active"] & base.members["active"]
        moved = int((active & (s.members["branch"] != base.members["branch"])).sum())
        created = int(ctx.is_org[n:].sum())
        was_live = ~base.units.dissolved & base.kinds.is_org[base.units.kind]
        dissolved = int((was_live & s.units.dissolved[:n]).sum())
        retyped = int((was_live & ~s.units.dissolved[:n] & (s.units.kind[:n] != base.units.kind)).sum())
        return [
            self.value("members_moved", moved, "调整所属单位的成员", "members moved", unit="人", direction="lower"),
            self.value("units_created", created, "新建组织", "units created", unit="个", direction="lower"),
            self.value("units_dissolved", dissolved, "撤销组织", "units dissolved", unit="个", direction="lower"),
            self.value("units_retyped", retyped, "升格或改设组织", "units retyped", unit="个", direction="lower"),
        ]


class Hourglass(Metric):
    name = "hourglass"
    label_zh = "沙漏模型"
    label_en = "hourglass lens"
    description = (
        "Seed 000's hourglass lens made measurable: the longest path from a top unit to a member"
        " (levels a message passes) and the narrowest level between top and branches (its unit count"
        " and members per unit there)."
    )

    def compute(self, ctx: MeasureContext) -> list[Value]:
        s = ctx.structure
        org = ctx.is_org
        if not org.any():
            return []
        depth = ctx.depth
        member_depth = depth[s.members["branch"]] + 1 + (s.members["group"] >= 0)
        longest = int(member_depth[s.members["active"]].max()) + 1 if ctx.n_active else 0
        branch_depth = depth[ctx.is_branch]
        deepest = int(branch_depth.max()) if len(branch_depth) else 0
        widths = np.bincount(depth[org & (depth <= deepest)], minlength=deepest + 1)
        inner = widths[1:] if len(widths) > 1 else widths
        narrow = int(inner.min()) if len(inner) else 0
        return [
            self.value("path", longest, "最长传导路径", "longest path to a member", unit="层", direction="lower"),
            self.value("narrowest", narrow, "最窄层级组织数", "units at the narrowest level", unit="个", direction="higher"),
            self.value("load", ctx.n_active / narrow if narrow else None, "最窄层级人均联系成员", "members per unit at the narrowest level", unit="人", direction="lower"),
        ]


class MeetingRoom(Metric):
    name = "meeting"
    label_zh = "会议场地"
    label_en = "meeting rooms"
    description = "The largest branch meeting against room capacity, where rooms are given (unit attribute room_capacity)."

    def compute(self, ctx: MeasureContext) -> list[Value]:
        s = ctx.structure
        largest = float(ctx.branch_sizes.max()) if len(ctx.branch_sizes) else None
        codes = np.flatnonzero(ctx.is_branch)
        capacity = np.full(s.n_units, np.nan)
        for code, value in s.unit_attribute("room_capacity").items():
            capacity[code] = _number(value)
        for unit, value in ctx.rooms.items():
            if s.has_unit(unit):
                capacity[s.unit_code(unit)] = _number(value)
        capacity = capacity[codes]
        known = ~np.isnan(capacity)
        out = [self.value("largest", largest, "最大一次支部会议人数", "largest branch meeting", unit="人", direction="lower")]
        if known.any():
            over = int((ctx.sizes[codes][known] > capacity[known]).sum())
            out.append(self.value("over_capacity", over, "超出场地容量的支部", "branches larger than their room", unit="个", direction="lower"))
        else:
            out.append(self.value("over_capacity", None, "超出场地容量的支部", "branches larger than their room", unit="个",
                                  direction="lower", note="not measured: no room capacities given"))
        return out


def _number(value: object) -> float:
    try:
        return float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return float("nan")


BUILTIN_METRICS = (UnitCounts(), BranchSize(), Hierarchy(), Placement(), ChangeCost(), Hourglass(), MeetingRoom())
