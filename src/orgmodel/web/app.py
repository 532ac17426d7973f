"""The planners' web app: routes over one folder of scenarios, through :mod:`orgmodel.api` only.

``create_app(root)`` serves ``root`` (a scenario folder, or a folder of scenario folders):
list and validate variants, run with a live progress bar and cancel, compare variants from the
results folder, look at one unit, download the report, the pack and the scenario, edit variants
and steps as forms (written back to ``scenario.yaml`` line by line), and start a new scenario from
an uploaded roster. Every path is resolved inside ``root``; nothing a request names leaves it.
"""

from __future__ import annotations

import io
import logging
import re
import secrets
import tempfile
import threading
import uuid
import zipfile
from collections.abc import Mapping
from pathlib import Path
from types import SimpleNamespace
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import FileResponse, HTMLResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates
from starlette.formparsers import MultiPartParser

from orgmodel import __version__, api
from orgmodel.errors import UserError
from orgmodel.messages import Said
from orgmodel.report.model import report_model
from orgmodel.report.simulation import simulation_section
from orgmodel.simulate.spec import SimulationSpec
from orgmodel.web import roster, yamledit
from orgmodel.web.forms import form_params, param_fields
from orgmodel.web.i18n import LANGS, MESSAGES, t
from orgmodel.web.jobs import RunJob
from orgmodel.web.safety import BodyTooLarge, Walls

__all__ = ["create_app", "ROOT_KEY"]

#: The key of the scenario in the served folder itself (other scenarios: their folder's name).
ROOT_KEY = "_"
_HERE = Path(__file__).parent
log = logging.getLogger("orgmodel.web")


class Workspace:
    """The served folder: its scenarios, their results folders, the runs and the uploads."""

    def __init__(self, root: Path) -> None:
        self.root = root.resolve()
        self.jobs: dict[str, RunJob] = {}
        self.uploads: dict[str, roster.Table] = {}
        self.lock = threading.Lock()
        self._strategies = None

    def scenarios(self) -> list[tuple[str, Path]]:
        found = []
        if (self.root / "scenario.yaml").is_file():
            found.append((ROOT_KEY, self.root / "scenario.yaml"))
        for sub in sorted(self.root.iterdir()):
            if sub.is_dir() and not sub.name.startswith(".") and (sub / "scenario.yaml").is_file():
                found.append((sub.name, sub / "scenario.yaml"))
        return found

    def inside(self, path: Path) -> Path:
        """``path`` resolved, refused unless it lies within the served folder."""
        resolved = path.resolve()
        if not resolved.is_relative_to(self.root):
            raise Said("outside_folder", name=path.name)
        return resolved

    def scenario(self, key: str) -> Path:
        if key == ROOT_KEY:
            path = self.root / "scenario.yaml"
        elif re.fullmatch(r"[\w.-]{1,64}", key) and not key.startswith("."):
            path = self.root / key / "scenario.yaml"
        else:
            raise Said("no_scenario", key=key)
        if not path.is_file():
            raise Said("no_scenario", key=key)
        return self.inside(path)

    def results(self, key: str) -> Path:
        """The results folder the scenario's ``output.dir`` names (it must lie inside the served folder)."""
        path = self.scenario(key)
        doc = yamledit.read_document(path)
        out = (doc.get("output") or {}).get("dir", "out") if isinstance(doc, Mapping) else "out"
        return self.inside(path.parent / str(out))

    def strategies(self) -> Any:
        if self._strategies is None:
            self._strategies = api.plugins_for(None).strategies()
        return self._strategies


def _kind_label(table: Any, i: int, lang: str) -> str:
    kind = table.kinds[int(table.kind[i])]
    return kind.label_en if lang == "en" else kind.label_zh


def _lang(request: Request) -> str:
    lang = request.query_params.get("lang") or request.cookies.get("lang") or "zh"
    return lang if lang in LANGS else "zh"


def create_app(root: str | Path, *, token: str | None = None, hosts: list[str] | None = None,
               max_upload: int = roster.MAX_UPLOAD_BYTES) -> Any:
    """The ASGI app serving ``root``; ``token`` is required of every request when given, ``hosts``
    are the Host headers accepted (None: any, for tests)."""
    ws = Workspace(Path(root))
    if not ws.root.is_dir():
        raise Said("not_a_folder", root=root)
    # an upload stays in memory (it is at most max_upload): no temporary file anywhere on disk
    MultiPartParser.spool_max_size = max(MultiPartParser.spool_max_size, max_upload + 1)
    csrf = secrets.token_urlsafe(24)
    app = FastAPI(title="orgmodel", docs_url=None, redoc_url=None, openapi_url=None)
    app.state.workspace = ws
    app.mount("/static", StaticFiles(directory=_HERE / "static"), name="static")
    templates = Jinja2Templates(directory=_HERE / "templates")
    templates.env.globals.update(t=t, messages=MESSAGES, version=__version__, csrf=csrf, ROOT_KEY=ROOT_KEY)

    def page(request: Request, template: str, status: int = 200, **context: Any) -> HTMLResponse:
        lang = _lang(request)
        response = templates.TemplateResponse(request, template, {"lang": lang, **context}, status_code=status)
        if request.query_params.get("lang") in LANGS:
            response.set_cookie("lang", lang, samesite="strict")
        return response

    def message(request: Request, text: str, kind: str = "error") -> HTMLResponse:
        return page(request, "_message.html", text=text, kind=kind)

    saves = iter(range(1, 1 << 62))

    def redirect(request: Request, url: str) -> Response:
        """To ``url`` after a change; a fresh ``saved=`` makes the browser load it even when only the
        ``#anchor`` would differ, and the page says the file was saved."""
        path, _, anchor = url.partition("#")
        url = f"{path}?saved={next(saves)}" + (f"#{anchor}" if anchor else "")
        if request.headers.get("hx-request"):
            return Response(status_code=204, headers={"HX-Redirect": url})
        return RedirectResponse(url, status_code=303)

    @app.exception_handler(UserError)
    async def user_error(request: Request, exc: UserError) -> HTMLResponse:
        text = exc.in_language(_lang(request)) if isinstance(exc, Said) else str(exc)
        if request.headers.get("hx-request"):
            return message(request, text)
        return page(request, "error.html", status=400, text=text)

    @app.exception_handler(BodyTooLarge)
    async def too_large(request: Request, exc: BodyTooLarge) -> HTMLResponse:
        return page(request, "error.html", status=413, text=t(_lang(request), "too_large", mb=max_upload // 2**20))

    # ---- scenarios -----------------------------------------------------------------------------
    @app.get("/", response_class=HTMLResponse)
    def home(request: Request) -> Response:
        found = ws.scenarios()
        if len(found) == 1 and found[0][0] == ROOT_KEY and not request.query_params.get("all"):
            return RedirectResponse(f"/s/{ROOT_KEY}", status_code=303)
        rows = []
        for key, path in found:
            doc = yamledit.read_document(path)
            rows.append({"key": key, "name": doc.get("name", key), "folder": path.parent.name,
                         "variants": len(doc.get("variants") or [])})
        return page(request, "home.html", scenarios=rows)

    def _scenario_context(key: str) -> dict[str, Any]:
        path = ws.scenario(key)
        doc = yamledit.read_document(path)
        variants = []
        for v in doc.get("variants") or []:
            steps = []
            for i, s in enumerate(v.get("steps") or []):
                steps.append({"index": i, "strategy": s.get("strategy"), "ops": len(s.get("operations") or []),
                              "params": dict(s.get("params") or {}), "scope": list(s.get("scope") or []),
                              "locks": list(s.get("locks") or [])})
            variants.append({"name": v.get("name"), "label": v.get("label") or "",
                             "description": v.get("description") or "", "steps": steps})
        results = ws.results(key)
        report = results / "report"
        downloads = {kind: (report / f"report.{kind}").is_file() for kind in ("html", "pdf", "docx")}
        has_results = (results / "run.json").is_file()
        ran = set(api.load(results).names) if has_results else set()  # packs only of variants in the results
        strategies = ws.strategies()
        labels = {s.name: (s.label_zh, s.label_en) for s in strategies}
        simulation = doc.get("simulation")
        replications = None  # no simulation: no field
        if isinstance(simulation, Mapping):
            replications = simulation.get("replications", SimulationSpec.model_fields["replications"].default)
        return {"key": key, "name": doc.get("name", key), "replications": replications, "description": doc.get("description") or "",
                "variants": variants, "has_results": has_results, "ran": ran, "downloads": downloads,
                "job": ws.jobs.get(key), "strategy_labels": labels}

    @app.get("/s/{key}", response_class=HTMLResponse)
    def scenario_page(request: Request, key: str) -> Response:
        return page(request, "scenario.html", saved="saved" in request.query_params, **_scenario_context(key))

    @app.post("/s/{key}/validate", response_class=HTMLResponse)
    def validate(request: Request, key: str) -> Response:
        checked = api.validate(ws.scenario(key))
        return message(request, t(_lang(request), "validate_ok", units=f"{checked.units:,}",
                                  members=f"{checked.members:,}", variants=len(checked.variants)), "ok")

    # ---- run -----------------------------------------------------------------------------------
    @app.post("/s/{key}/run", response_class=HTMLResponse)
    async def run(request: Request, key: str) -> Response:
        lang = _lang(request)
        raw = str((await request.form()).get("replications") or "").strip()
        replications = None
        if raw:
            if not raw.isdigit() or int(raw) > 100_000:
                return message(request, t(lang, "bad_replications"))
            replications = int(raw)
        with ws.lock:
            job = ws.jobs.get(key)
            if job is not None and job.status == "running":
                return message(request, t(lang, "busy"))
            job = RunJob(ws.scenario(key), ws.results(key), lang, replications).start()
            ws.jobs[key] = job
        log.info("run started: %s", key)
        return page(request, "_progress.html", key=key, state=job.state())

    @app.get("/s/{key}/run", response_class=HTMLResponse)
    def run_state(request: Request, key: str) -> Response:
        job = ws.jobs.get(key)
        if job is None:
            return HTMLResponse("")
        return page(request, "_progress.html", key=key, state=job.state())

    @app.post("/s/{key}/run/cancel", response_class=HTMLResponse)
    def cancel(request: Request, key: str) -> Response:
        job = ws.jobs.get(key)
        if job is not None:
            job.cancel.set()
            job.wait(60)
        return page(request, "_progress.html", key=key, state=job.state() if job else {"status": "cancelled"})

    # ---- compare and units ---------------------------------------------------------------------
    def _results(key: str) -> api.Results:
        folder = ws.results(key)
        if not (folder / "run.json").is_file():
            raise Said("no_results")
        return api.load(folder)

    @app.get("/s/{key}/compare", response_class=HTMLResponse)
    def compare(request: Request, key: str) -> Response:
        lang = _lang(request)
        results = _results(key)
        chosen = [v for v in request.query_params.getlist("v") if v in results.names] or results.names
        comparison = api.compare([results.folder], variants=chosen)
        model = report_model(results, comparison, lang=lang)
        data = comparison.data
        keys = [v["key"] for v in data["variants"]]
        diagrams = results.folder / "report" / "diagrams"
        charts = [n for n in ([f"{v}-diff.svg" for v in chosen] + ["branch-sizes.svg"]) if (diagrams / n).is_file()]
        titles = {f"{n}-diff.svg": f"{results.variant(n).label or n} · {t(lang, 'section_diagrams')}" for n in chosen}
        titles["branch-sizes.svg"] = t(lang, "section_distribution")
        simulation = simulation_section(results, lang=lang)  # the report's own section; None when not simulated
        if simulation is not None:  # its charts as the report wrote them, not inline
            simulation["charts"] = [c for c in simulation["charts"] if (diagrams / f"{c['key']}.svg").is_file()]
        return page(request, "compare.html", key=key, r=model, c=data, keys=keys, names=results.names, sim=simulation,
                    chosen=chosen, charts=charts, chart_titles=titles, variants=[results.variant(n) for n in results.names])

    @app.get("/s/{key}/units", response_class=HTMLResponse)
    def units(request: Request, key: str) -> Response:
        results = _results(key)
        variant = request.query_params.get("variant") or results.names[0]
        q = (request.query_params.get("q") or "").strip().lower()
        table = results.variant(variant).units
        rows = []
        for i in range(len(table)):
            if table.dissolved[i]:
                continue
            if q and q not in str(table.name[i]).lower() and q not in str(table.ids[i]).lower():
                continue
            rows.append({"id": str(table.ids[i]), "name": str(table.name[i]),
                         "kind": _kind_label(table, i, _lang(request)), "members": int(table.members[i])})
            if len(rows) >= 60:
                break
        return page(request, "_units.html", key=key, variant=variant, rows=rows)

    @app.get("/s/{key}/unit", response_class=HTMLResponse)
    def unit(request: Request, key: str) -> Response:
        lang = _lang(request)
        results = _results(key)
        name = request.query_params.get("variant") or "baseline"
        if name not in results.names:
            raise Said("no_variant", name=name)
        v = results.variant(name)
        table = v.units
        uid = request.query_params.get("id", "")
        hits = [i for i in range(len(table)) if str(table.ids[i]) == uid]
        if not hits:
            raise Said("no_unit", unit=uid, variant=name)
        i = hits[0]
        parent = int(table.parent[i])
        counts = [(t(lang, "direct"), int(table.direct[i])), (t(lang, "direct_full"), int(table.direct_full[i])),
                  (t(lang, "members_total"), int(table.members[i])), (t(lang, "full_total"), int(table.full[i])),
                  (t(lang, "participants"), int(table.participants[i]))]
        findings = [f for f in v.findings if f.get("unit") == uid]
        changes = []
        for what, items in v.changes.items():
            if isinstance(items, list):
                changes += [(what, c) for c in items if isinstance(c, Mapping)
                            and uid in (c.get("id"), c.get("from"), c.get("to"))]
        held = [role for role, _person in table.roles[i]] if table.roles else []  # counts, never who
        roles = [(role, held.count(role)) for role in dict.fromkeys(held)]
        return page(request, "unit.html", key=key, variant=v, uid=uid, name_=str(table.name[i]),
                    kind=_kind_label(table, i, lang), dissolved=bool(table.dissolved[i]),
                    parent_id=str(table.ids[parent]) if parent >= 0 else "",
                    parent_name=str(table.name[parent]) if parent >= 0 else "", counts=counts,
                    findings=findings, changes=changes, roles=roles,
                    children=[(str(table.ids[j]), str(table.name[j])) for j in range(len(table))
                              if int(table.parent[j]) == i and not table.dissolved[j]][:80])

    # ---- downloads -----------------------------------------------------------------------------
    @app.get("/s/{key}/download/report.{fmt}")
    def download_report(key: str, fmt: str) -> Response:
        if fmt not in ("html", "pdf", "docx"):
            raise Said("no_report_format", fmt=fmt)
        path = ws.inside(ws.results(key) / "report" / f"report.{fmt}")
        if not path.is_file():
            raise Said("report_missing", fmt=fmt)
        return FileResponse(path, filename=f"report.{fmt}")

    @app.get("/s/{key}/diagram/{name}")
    def diagram(key: str, name: str) -> Response:
        if not re.fullmatch(r"[\w.-]+\.svg", name):
            raise Said("no_diagram", name=name)
        path = ws.inside(ws.results(key) / "report" / "diagrams" / name)
        if not path.is_file():
            raise Said("no_diagram", name=name)
        return FileResponse(path, media_type="image/svg+xml")

    @app.get("/s/{key}/download/pack/{variant}.xlsx")
    def download_pack(request: Request, key: str, variant: str) -> Response:
        results = _results(key)
        if variant not in results.names:
            raise Said("no_variant", name=variant)
        with tempfile.TemporaryDirectory(prefix="orgmodel-pack-") as tmp:
            out = api.pack(results.folder, variant, Path(tmp) / "pack", lang=_lang(request))
            books = sorted(out.rglob("*.xlsx"))
            if not books:
                raise Said("pack_no_workbook", variant=variant)
            data = books[0].read_bytes()
        return Response(data, media_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                        headers={"Content-Disposition": f'attachment; filename="pack-{variant}.xlsx"'})

    @app.get("/s/{key}/download/scenario.zip")
    def download_scenario(key: str) -> Response:
        folder = ws.scenario(key).parent
        skip = ws.results(key)
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
            for path in sorted(folder.rglob("*")):
                if path.is_file() and not path.is_symlink() and not path.is_relative_to(skip) \
                        and not any(p.startswith(".") or p == "__pycache__" for p in path.relative_to(folder).parts) \
                        and path.resolve().is_relative_to(ws.root):
                    archive.write(path, path.relative_to(folder).as_posix())
        name = folder.name if key != ROOT_KEY else "scenario"
        return Response(buffer.getvalue(), media_type="application/zip",
                        headers={"Content-Disposition": f'attachment; filename="{name}.zip"'})

    # ---- variants and steps as forms -----------------------------------------------------------
    async def _form(request: Request) -> dict[str, Any]:
        form = await request.form()
        return {k: form.getlist(k)[-1] for k in form.keys()} | {"_lists": {k: form.getlist(k) for k in form.keys()}}

    @app.post("/s/{key}/variants")
    async def add_variant(request: Request, key: str) -> Response:
        form = await _form(request)
        yamledit.add_variant(ws.scenario(key), str(form.get("name") or "").strip(), label=str(form.get("label") or ""),
                             description=str(form.get("description") or ""))
        return redirect(request, f"/s/{key}#variant-{form.get('name')}")

    @app.post("/s/{key}/variants/{name}")
    async def edit_variant(request: Request, key: str, name: str) -> Response:
        form = await _form(request)
        yamledit.update_variant(ws.scenario(key), name, label=str(form.get("label") or ""),
                                description=str(form.get("description") or ""))
        return redirect(request, f"/s/{key}#variant-{name}")

    @app.post("/s/{key}/variants/{name}/delete")
    def delete_variant(request: Request, key: str, name: str) -> Response:
        yamledit.delete_variant(ws.scenario(key), name)
        return redirect(request, f"/s/{key}")

    @app.post("/s/{key}/variants/{name}/move")
    def move_variant(request: Request, key: str, name: str, by: int) -> Response:
        yamledit.move_variant(ws.scenario(key), name, 1 if by > 0 else -1)
        return redirect(request, f"/s/{key}#variant-{name}")

    def _strategy(name: str) -> Any:
        strategies = ws.strategies()
        if name not in strategies:
            raise Said("unknown_strategy", name=name, names=", ".join(strategies.names()))
        return strategies.get(name)

    tree_cache: dict[tuple[str, float], Any] = {}

    def _unit_table(key: str) -> Any:
        """The baseline's unit table: from the results folder, else read from the rosters (cached)."""
        folder = ws.results(key)
        if (folder / "run.json").is_file():
            return api.load(folder).baseline.units
        path = ws.scenario(key)
        stamp = (key, path.stat().st_mtime)
        if stamp not in tree_cache:
            structure = api.baseline(path)
            u = structure.units
            tree_cache.clear()
            tree_cache[stamp] = SimpleNamespace(ids=u.ids, name=u.name, kind=u.kind, parent=u.parent,
                                                kinds=structure.kinds)
        return tree_cache[stamp]

    def _unit_options(key: str, lang: str) -> list[dict[str, Any]]:
        """The baseline's units as a tree (depth-first), to pick scope and locks from."""
        try:
            table = _unit_table(key)
        except UserError:
            return []  # a scenario that does not load yet: ids can still be typed
        children: dict[int, list[int]] = {}
        for i in range(len(table.ids)):
            children.setdefault(int(table.parent[i]), []).append(i)
        roots = [i for i in range(len(table.ids)) if int(table.parent[i]) < 0]
        out, stack = [], [(i, 0) for i in reversed(roots)]
        while stack:
            i, depth = stack.pop()
            out.append({"id": str(table.ids[i]), "name": str(table.name[i]), "depth": depth,
                        "kind": _kind_label(table, i, lang)})
            stack += [(j, depth + 1) for j in reversed(children.get(i, []))]
        return out

    @app.get("/s/{key}/variants/{name}/steps/new", response_class=HTMLResponse)
    @app.get("/s/{key}/variants/{name}/steps/{index}/edit", response_class=HTMLResponse)
    def step_form(request: Request, key: str, name: str, index: int | None = None) -> Response:
        lang = _lang(request)
        doc = yamledit.read_document(ws.scenario(key))
        current: Mapping[str, Any] = {}
        if index is not None:
            variant = next((v for v in doc.get("variants") or [] if v.get("name") == name), None)
            steps = (variant or {}).get("steps") or []
            if not 0 <= index < len(steps) or "strategy" not in steps[index]:
                raise Said("no_strategy_step", name=name, step=index + 1)
            current = steps[index]
        chosen = request.query_params.get("strategy") or current.get("strategy") or "team-branches"
        strategy = _strategy(chosen)
        context = {"key": key, "variant": name, "index": index, "strategies": list(ws.strategies()),
                   "strategy": strategy, "fields": param_fields(strategy.Params),
                   "values": dict(current.get("params") or {}), "scope": list(current.get("scope") or []),
                   "locks": list(current.get("locks") or []), "units": _unit_options(key, lang)}
        if request.headers.get("hx-target") == "params":
            return page(request, "_params.html", **context)
        return page(request, "step.html", **context)

    def _ids(form: Mapping[str, Any], field: str) -> list[str]:
        picked = [str(x) for x in form["_lists"].get(field, []) if str(x).strip()]
        typed = str(form.get(f"{field}_text") or "").replace("，", ",")
        return list(dict.fromkeys(picked + [x.strip() for x in typed.split(",") if x.strip()]))

    @app.post("/s/{key}/variants/{name}/steps")
    @app.post("/s/{key}/variants/{name}/steps/{index}")
    async def save_step(request: Request, key: str, name: str, index: int | None = None) -> Response:
        form = await _form(request)
        strategy = _strategy(str(form.get("strategy") or ""))
        params = form_params(strategy.Params, {k[2:]: v for k, v in form.items() if k.startswith("p.")})
        path = ws.scenario(key)
        if index is None:
            yamledit.add_step(path, name, strategy.name, params, _ids(form, "scope"), _ids(form, "locks"))
        else:
            yamledit.update_step(path, name, index, params, _ids(form, "scope"), _ids(form, "locks"))
        return redirect(request, f"/s/{key}#variant-{name}")

    @app.post("/s/{key}/variants/{name}/steps/{index}/delete")
    def delete_step(request: Request, key: str, name: str, index: int) -> Response:
        yamledit.delete_step(ws.scenario(key), name, index)
        return redirect(request, f"/s/{key}#variant-{name}")

    @app.post("/s/{key}/variants/{name}/steps/{index}/move")
    def move_step(request: Request, key: str, name: str, index: int, by: int) -> Response:
        yamledit.move_step(ws.scenario(key), name, index, 1 if by > 0 else -1)
        return redirect(request, f"/s/{key}#variant-{name}")

    # ---- a new scenario from a roster ----------------------------------------------------------
    @app.get("/new", response_class=HTMLResponse)
    def new(request: Request) -> Response:
        return page(request, "new.html", max_mb=max_upload // 2**20)

    @app.post("/new/upload", response_class=HTMLResponse)
    async def upload(request: Request) -> Response:
        form = await request.form(max_files=1, max_fields=20)
        file = form.get("roster")
        if file is None or isinstance(file, str) or not file.filename:
            raise Said("choose_roster")
        filename = str(file.filename)
        if "/" in filename or "\\" in filename or filename.startswith(".") or "\x00" in filename:
            raise Said("bad_file_name", name=filename)
        data = await file.read(max_upload + 1)
        if len(data) > max_upload:
            raise Said("too_large", mb=max_upload // 2**20)
        table = roster.read_table(filename, data)
        upload_id = uuid.uuid4().hex
        with ws.lock:
            ws.uploads = dict(list(ws.uploads.items())[-4:])  # keep a few, forget the rest
            ws.uploads[upload_id] = table
        log.info("roster uploaded: %d rows, %d columns", len(table.rows), len(table.header))
        mapping = roster.guess_mapping(table.header)
        return page(request, "_mapping.html", upload=upload_id, table=table, mapping=mapping,
                    fields=list(roster.FIELDS), errors=roster.check_rows(table, mapping), preview=table.rows[:8],
                    title=Path(filename).stem)

    def _upload(form: Mapping[str, Any]) -> tuple[roster.Table, dict[str, str]]:
        table = ws.uploads.get(str(form.get("upload") or ""))
        if table is None:
            raise Said("upload_expired")
        mapping = {f: str(form.get(f"map.{f}") or "") for f in roster.FIELDS}
        for f, header in mapping.items():
            if header and header not in table.header:
                raise Said("no_roster_column", field=f, header=header)
        return table, mapping

    @app.post("/new/check", response_class=HTMLResponse)
    async def check(request: Request) -> Response:
        form = await _form(request)
        table, mapping = _upload(form)
        return page(request, "_mapping.html", upload=form.get("upload"), table=table, mapping=mapping,
                    fields=list(roster.FIELDS), errors=roster.check_rows(table, mapping), preview=table.rows[:8],
                    title=str(form.get("title") or ""))

    @app.post("/new/save")
    async def save(request: Request) -> Response:
        form = await _form(request)
        table, mapping = _upload(form)
        title = str(form.get("title") or "").strip() or "新方案"
        folder = str(form.get("folder") or "").strip()
        path = roster.write_scenario(ws.root, folder, title, table, mapping)
        log.info("scenario created: %s", path.parent.name)
        return redirect(request, f"/s/{path.parent.name}")

    return Walls(app, csrf=csrf, token=token, hosts=hosts, max_body=max_upload + 1024 * 1024)
