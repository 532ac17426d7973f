"""Export and import a Structure as node-link JSON or GraphML (opens in Gephi and yEd).

Units are nodes with ``kind``, ``role``, ``name`` and ``size``; edge keys name the relation
(``belongs_to``, ``part_of``, ``built_on``, ``allied_with``, ``adjacent_to`` and, with members as
nodes, ``participates_in``). Members become nodes only when asked, and above 20,000 members only
when forced. Files are written whole or not at all. People's names are never exported.

>>> import tempfile, pathlib
>>> from orgmodel.testing_data import tiny_structure, toy_kinds
>>> s = tiny_structure()
>>> path = pathlib.Path(tempfile.mkdtemp()) / "tiny.json"
>>> _ = export_structure(s, path, fmt="json", members=True)
>>> back = import_structure(path, toy_kinds())
>>> back.member_ids_of("b2"), back.built_on("b2"), back.teams_of("m6")
(['m5', 'm6', 'm7'], ['t1', 't2'], ['t1', 't2'])
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import networkx as nx
import numpy as np

from orgmodel.errors import SpecError, UserError
from orgmodel.files import atomic_file
from orgmodel.model.kinds import KindTable
from orgmodel.model.structure import MEMBER_KNOWN_ATTRIBUTES, Role, Structure

__all__ = ["export_structure", "import_structure", "to_node_link"]

FORMAT_VERSION = 1


def to_node_link(s: Structure, *, members: bool = False, force: bool = False) -> dict[str, Any]:
    """The structure as node-link data (networkx's ``node_link_data`` layout)."""
    graph = s.member_graph(force=force) if members else s.graph()
    g = nx.MultiDiGraph(graph)
    if members:
        cols = s.members.columns
        ids = s.members.ids
        for m in np.flatnonzero(cols["active"]).tolist():
            node = g.nodes[ids[m]]
            node["group"] = str(s.units.ids[cols["group"][m]]) if cols["group"][m] >= 0 else ""
            node["home_host"] = str(s.units.ids[cols["home_host"][m]]) if cols["home_host"][m] >= 0 else ""
            for name, dtype in MEMBER_KNOWN_ATTRIBUTES.items():
                value = cols[name][m]
                if dtype == "bool":
                    node[name] = bool(value)
                elif not np.isnat(value):
                    node[name] = str(value)
    data = nx.node_link_data(g, edges="links")
    data["graph"] = {
        "orgmodel_format": FORMAT_VERSION,
        "domain": s.kinds.name,
        "fingerprint": s.fingerprint,
        "roles": [[r.unit, r.role, r.person, r.since] for r in s.roles],
    }
    return data


def export_structure(
    s: Structure, path: Path, *, fmt: str = "json", members: bool = False, force: bool = False
) -> Path:
    """Write ``s`` to ``path`` as ``json`` (node-link) or ``graphml``; returns the path."""
    path = Path(path)
    data = to_node_link(s, members=members, force=force)
    if fmt not in ("json", "graphml"):
        raise UserError(f"unknown export format {fmt!r} (json, graphml)")
    with atomic_file(path) as tmp:
        if fmt == "json":
            tmp.write_text(json.dumps(data, ensure_ascii=False, indent=1), encoding="utf-8")
        else:
            g = nx.node_link_graph(data, edges="links", multigraph=True, directed=True)
            g.graph = {"orgmodel_format": FORMAT_VERSION, "domain": s.kinds.name, "fingerprint": s.fingerprint}
            for _, node in g.nodes(data=True):
                for key, value in list(node.items()):
                    if value is None:
                        node[key] = ""
            nx.write_graphml(g, tmp, encoding="utf-8")
    return path


def import_structure(path: Path, kinds: KindTable) -> Structure:
    """Read a structure written by :func:`export_structure` (with members) back."""
    path = Path(path)
    if not path.is_file():
        raise SpecError("file not found", file=str(path))
    try:
        if path.suffix.lower() == ".graphml":
            graph = nx.read_graphml(path, force_multigraph=True)
            roles: list[Any] = []
        else:
            data = json.loads(path.read_text(encoding="utf-8"))
            graph = nx.node_link_graph(data, edges="links", multigraph=True, directed=True)
            roles = data.get("graph", {}).get("roles", [])
    except (ValueError, KeyError, TypeError) as exc:
        raise SpecError(f"not a structure file: {exc}", file=str(path)) from None
    units, members = [], []
    parents: dict[str, str] = {}
    built_on: dict[str, list[str]] = {}
    participation, alliances, adjacency = [], [], []
    for a, b, rel in graph.edges(keys=True):
        if rel in ("belongs_to", "part_of") and graph.nodes[a].get("role") != "member":
            parents[a] = b
        elif rel == "built_on":
            built_on.setdefault(a, []).append(b)
        elif rel == "allied_with":
            alliances.append((a, b))
        elif rel == "adjacent_to":
            adjacency.append((a, b))
        elif rel == "participates_in":
            participation.append((a, b))
    member_branch = {a: b for a, b, rel in graph.edges(keys=True) if rel == "belongs_to" and graph.nodes[a].get("role") == "member"}
    for node, attrs in graph.nodes(data=True):
        if attrs.get("role") == "member":
            row = {"id": node, "status": attrs.get("status")}
            target = member_branch.get(node)
            if attrs.get("group"):
                row["group"] = attrs["group"]
                target = parents.get(attrs["group"], target)
            row["branch"] = target
            if attrs.get("home_host"):
                row["home_host"] = attrs["home_host"]
            for name in MEMBER_KNOWN_ATTRIBUTES:
                if name in attrs and attrs[name] != "":
                    row[name] = attrs[name]
            members.append(row)
        else:
            units.append({
                "id": node, "kind": attrs.get("kind"), "name": attrs.get("name"),
                "parent": parents.get(node), "built_on": sorted(built_on.get(node, [])),
                "tags": attrs.get("tags") or None,
            })
    return Structure.from_records(
        kinds,
        units=units,
        members=members,
        participation=participation,
        roles=[Role(unit=r[0], role=r[1], person=r[2], since=r[3]) for r in roles],
        alliances=alliances,
        adjacency=adjacency,
    )
