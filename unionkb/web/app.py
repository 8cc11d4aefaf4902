"""The web app: server-rendered pages for people and a JSON API, read-only, over one archive.

Pages (Chinese): /search (also /), /who, /cases, /cases/{id}, /articles/{id}, /articles/{id}/similar,
/regions, /regions/{code}, /about. Every result list exports as CSV or JSON with ``format=csv|json``.
API (the CLI's ``--json`` field names): /api/search, /api/who, /api/cases, /api/cases/{id},
/api/articles/{id}, /api/similar/{id}, /api/entities, /api/stats, /api/regions; schema at /api/openapi.json.

Requests run in the framework's thread pool; the archive is used under LiveArchive's lock
and pages are rendered outside it.
"""

from __future__ import annotations

import dataclasses
import json
import re
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from fastapi import FastAPI, Query, Request
from fastapi import Path as PathParam
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates
from starlette.exceptions import HTTPException as StarletteHTTPException

from index.cases import cases_csv, figure_label
from index.records import ArticleRecord
from pipeline.dates import parse_date
from pipeline.regions import LEVELS, all_units, ancestors, descendant_codes, region_by_code, unit_at_level
from unionkb import Archive, ArchiveError, Filters, __version__
from unionkb.web import render, schemas
from unionkb.web.live import LiveArchive

HERE = Path(__file__).resolve().parent
MAX_QUERY_CHARS = 200  # longer "queries" are pasted articles: use `similar` instead
MAX_K = 100
MAX_WHO_K = 50
MAX_SIMILAR_K = 50
MAX_ENTITIES = 1000
MAX_CASES = 1000
REGION_CASES = 10  # cases a region page lists
POOL = 100  # results a search page ranks, pages through, counts facets over and exports
PAGE_SIZE = 10
REGION_PAGE_SIZE = 20
MODES = ("hybrid", "keyword", "semantic")
ENTITY_TYPES = ("region", "org", "program", "figure", "person", "date")
FIELDS = ("title", "kicker", "subtitle", "body")
_ID = re.compile(r"^[0-9a-fA-F]{4,16}$")  # an article or case id, or a unique prefix of one
_EVIDENCE = re.compile(r"^(title|kicker|subtitle|body):(\d{1,7}):(\d{1,7})$")

LEVEL_NAMES = {"province": "省级", "city": "市级", "county": "县级"}
MODE_NAMES = {"hybrid": "综合", "keyword": "关键词", "semantic": "语义"}
TYPE_NAMES = {"region": "地区", "org": "组织", "program": "项目", "figure": "数字", "person": "人物", "date": "日期"}
KIND_NAMES = {"news": "消息", "photo": "图片", "commentary": "评论", "feature": "通讯", "notice": "公告"}

SECURITY_HEADERS = [
    (
        b"content-security-policy",
        b"default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; object-src 'none'; "
        b"base-uri 'none'; form-action 'self'; frame-ancestors 'none'",
    ),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"same-origin"),
    (b"x-frame-options", b"DENY"),
]


class BadRequest(Exception):
    """Input the user must fix: one message, a 4xx status."""

    def __init__(self, message: str, status: int = 400):
        super().__init__(message)
        self.message, self.status = message, status


class _SecurityHeaders:
    """Plain ASGI middleware (cheaper than BaseHTTPMiddleware on the hot path)."""

    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)

        async def send_with_headers(message):
            if message["type"] == "http.response.start":
                message.setdefault("headers", [])
                message["headers"] = list(message["headers"]) + SECURITY_HEADERS
            await send(message)

        await self.app(scope, receive, send_with_headers)


# -- small helpers ---------------------------------------------------------------------------
def _choice(name: str, value: str | None, options: tuple[str, ...]) -> str | None:
    if value is None or value == "":
        return None
    if value not in options:
        raise BadRequest(f"{name}: {value!r} is not one of {', '.join(options)}", 422)
    return value


def _date(name: str, value: str | None) -> str | None:
    if not value:
        return None
    iso = parse_date(value)
    if not iso:
        raise BadRequest(f"{name}: {value!r} is not a date (use YYYY-MM-DD)", 422)
    return iso


def _article_id(value: str) -> str:
    if not _ID.match(value):
        raise BadRequest(f"id: {value!r} is not an article id (4-16 hex digits)", 422)
    return value.lower()


def _case_id(value: str) -> str:
    if not _ID.match(value):
        raise BadRequest(f"id: {value!r} is not a case id (4-16 hex digits)", 422)
    return value.lower()


def _who_dict(answer: Any) -> dict:
    """who answers as plain dicts, whatever object the library hands back."""
    if hasattr(answer, "to_dict"):
        return answer.to_dict()
    if dataclasses.is_dataclass(answer) and not isinstance(answer, type):
        return dataclasses.asdict(answer)
    if isinstance(answer, dict):
        return dict(answer)
    return dict(vars(answer))


def _unit_json(code: str, articles: int = 0) -> dict:
    u = region_by_code(code)
    return {
        "code": u.code,
        "name": u.name,
        "level": u.level,
        "parents": [p.name for p in ancestors(code)],
        "articles": articles,
    }


def _child_of(code: str, parent: str | None) -> str | None:
    """The unit directly below ``parent`` (None: the provinces) that holds ``code``."""
    try:
        chain = [*ancestors(code), region_by_code(code)]
    except KeyError:
        return None
    for u in chain:
        if u.parent_code == parent:
            return u.code
    return None


def link(path: str, params: dict | None = None, **changes) -> str:
    """``path`` with the query string of ``params`` updated by ``changes`` (None/"" dropped)."""
    merged = {**(params or {}), **changes}
    q = {k: v for k, v in merged.items() if v not in (None, "")}
    return path + ("?" + urlencode(q) if q else "")


# -- the app ---------------------------------------------------------------------------------
def create_app(index_dir: str | Path, warm: bool = False) -> FastAPI:
    """The app over the archive at ``index_dir`` (ArchiveError if there is none).
    ``warm`` loads the embedding model and dictionaries now rather than on the first query."""
    live = LiveArchive(index_dir, warm=warm)
    app = FastAPI(
        title="unionkb",
        version=__version__,
        description="Read-only search over an archive of Chinese trade-union news. Field names are the "
        'same as the CLI\'s --json output. Errors are JSON: {"error": "one message"} with a 4xx status.',
        docs_url=None,
        redoc_url=None,  # their pages load scripts from a CDN; the schema is enough
        openapi_url="/api/openapi.json",
    )
    app.state.live = live
    app.add_middleware(_SecurityHeaders)
    app.mount("/static", StaticFiles(directory=HERE / "static"), name="static")
    templates = Jinja2Templates(directory=HERE / "templates")
    env = templates.env
    env.globals.update(
        link=link,
        LEVEL_NAMES=LEVEL_NAMES,
        MODE_NAMES=MODE_NAMES,
        TYPE_NAMES=TYPE_NAMES,
        KIND_NAMES=KIND_NAMES,
        figure_label=figure_label,
        snippet_html=render.snippet_html,
        safe_url=render.safe_url,
        MAX_QUERY_CHARS=MAX_QUERY_CHARS,
        version=__version__,
    )
    cache: dict = {}

    def cached(name: str, archive: Archive, compute: Callable[[Archive], Any]) -> Any:
        """Derived data (region counts, sources), kept until the archive changes."""
        key = (name, live.version)
        if key not in cache:
            if len(cache) > 64:
                cache.clear()
            cache[key] = compute(archive)
        return cache[key]

    def region_counts(archive: Archive) -> dict[str, int]:
        return cached(
            "region_counts",
            archive,
            lambda a: {e["value"]: e["articles"] for e in a.entities("region", limit=1_000_000)},
        )

    def site(archive: Archive) -> dict:
        def compute(a: Archive) -> dict:
            s = a.store.stats()
            return {"articles": s["articles"], "sources": list(s["sources"]), "date_range": s["date_range"]}

        return cached("site", archive, compute)

    def page(request: Request, name: str, ctx: dict, status: int = 200) -> HTMLResponse:
        return templates.TemplateResponse(
            request, name, {"params": dict(request.query_params), **ctx}, status_code=status
        )

    def export(rows: list[dict], columns: list[str], fmt: str, name: str) -> Response:
        if fmt == "json":
            return Response(
                json.dumps(rows, ensure_ascii=False, indent=1),
                media_type="application/json",
                headers={"content-disposition": f'attachment; filename="{name}.json"'},
            )
        return Response(
            render.to_csv(rows, columns),
            media_type="text/csv; charset=utf-8",
            headers={"content-disposition": f'attachment; filename="{name}.csv"'},
        )

    # -- errors: JSON under /api, a page elsewhere; one message, never a traceback ------------
    def error_response(request: Request, status: int, message: str) -> Response:
        if request.url.path.startswith("/api"):
            return JSONResponse({"error": message}, status_code=status)
        try:
            with live.use() as archive:
                info = site(archive)
        except Exception:  # noqa: BLE001 -- the archive may be what failed: the error page goes without it
            info = None
        return page(request, "error.html", {"status": status, "message": message, "site": info}, status)

    @app.exception_handler(BadRequest)
    async def _bad_request(request: Request, exc: BadRequest):
        return error_response(request, exc.status, exc.message)

    @app.exception_handler(ArchiveError)
    async def _archive_error(request: Request, exc: ArchiveError):
        return error_response(request, 400, str(exc))

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError):
        err = exc.errors()[0] if exc.errors() else {}
        where = ".".join(str(x) for x in err.get("loc", ())[1:]) or "request"
        return error_response(request, 422, f"{where}: {err.get('msg', 'invalid')}")

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException):
        message = {404: "not found", 405: "method not allowed: this server is read-only"}.get(
            exc.status_code, str(exc.detail)
        )
        return error_response(request, exc.status_code, message)

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception):
        # details go to the server log (uvicorn prints the traceback); the client gets one line
        return error_response(request, 500, f"internal error ({type(exc).__name__})")

    # -- shared computations -------------------------------------------------------------------
    def do_search(
        archive: Archive,
        q: str,
        k: int,
        mode: str | None,
        since: str | None,
        until: str | None,
        source: str | None,
        region: str | None,
        level: str | None,
    ):
        mode = _choice("mode", mode, MODES) or "hybrid"
        level = _choice("level", level, LEVELS)
        code = archive.resolve_region(region, level).code if region and region.strip() else None
        filters = Filters(since=_date("since", since), until=_date("until", until), source=source or None, region=code)
        return archive.search(q, k=k, filters=filters, mode=mode), code

    def do_cases(
        archive: Archive,
        q: str | None,
        region: str | None,
        level: str | None,
        since: str | None,
        until: str | None,
        program: str | None,
        k: int,
    ) -> list:
        level = _choice("level", level, LEVELS)
        return archive.cases(
            (q or "").strip() or None,
            region=(region or "").strip() or None,
            level=level,
            since=_date("since", since),
            until=_date("until", until),
            program=(program or "").strip() or None,
            k=k,
        )

    def get_case(archive: Archive, cid: str):
        cid = _case_id(cid)
        try:
            return archive.case(cid)
        except ArchiveError as e:
            if str(e).startswith("no case"):
                raise BadRequest(f"no case with id {cid!r}", 404) from None
            raise  # an ambiguous prefix: the handler answers 400

    def get_article(archive: Archive, aid: str):
        aid = _article_id(aid)
        ids = archive.store.resolve_id(aid)
        if not ids:
            raise BadRequest(f"no article with id {aid!r}", 404)
        return archive.get(aid)

    # -- API -----------------------------------------------------------------------------------
    Q = Query(..., min_length=1, max_length=MAX_QUERY_CHARS, description="What to look for.")
    err: dict[int | str, dict[str, Any]] = {
        400: {"model": schemas.ErrorOut},
        404: {"model": schemas.ErrorOut},
        422: {"model": schemas.ErrorOut},
    }

    @app.get("/api/search", response_model=list[schemas.SearchHit], responses=err, tags=["api"])
    def api_search(
        q: str = Q,
        k: int = Query(10, ge=1, le=MAX_K),
        mode: str = Query("hybrid", description="hybrid | keyword | semantic"),
        since: str | None = Query(None, description="YYYY-MM-DD"),
        until: str | None = Query(None, description="YYYY-MM-DD"),
        region: str | None = Query(
            None, max_length=40, description="A place (name or code); articles about anything below it count too."
        ),
        level: str | None = Query(None, description="province | city | county: which unit a shared region name means"),
        source: str | None = Query(None, max_length=40),
    ):
        """Ranked articles, as `search_cli.py search --json`."""
        with live.use() as archive:
            results, _ = do_search(archive, q, k, mode, since, until, source, region, level)
        return JSONResponse([r.to_dict() for r in results])

    @app.get("/api/who", response_model=list[schemas.WhoAnswerOut], responses=err, tags=["api"])
    def api_who(
        q: str = Q,
        level: str | None = Query(None, description="province | city | county"),
        k: int = Query(5, ge=1, le=MAX_WHO_K),
    ):
        """Which region's organisations did what the question describes, as `search_cli.py who --json`."""
        level = _choice("level", level, LEVELS)
        with live.use() as archive:
            answers = [_who_dict(a) for a in archive.who(q, level=level, k=k)]
        return JSONResponse(answers)

    case_filters = dict(
        region=Query(None, max_length=40, description="A place (name or code); cases below it count too."),
        level=Query(None, description="province | city | county: which unit a shared region name means"),
        since=Query(None, description="YYYY-MM-DD"),
        until=Query(None, description="YYYY-MM-DD"),
        program=Query(None, max_length=40, description="Only cases whose program name contains this."),
    )

    @app.get("/api/cases", response_model=list[schemas.CaseOut], responses=err, tags=["api"])
    def api_cases(
        q: str | None = Query(None, max_length=MAX_QUERY_CHARS, description="What the case is about."),
        region: str | None = case_filters["region"],
        level: str | None = case_filters["level"],
        since: str | None = case_filters["since"],
        until: str | None = case_filters["until"],
        program: str | None = case_filters["program"],
        k: int = Query(20, ge=1, le=MAX_CASES),
    ):
        """Best-practice cases, as `search_cli.py cases --json`."""
        with live.use() as archive:
            found = do_cases(archive, q, region, level, since, until, program, k)
        return JSONResponse([c.to_dict() for c in found])

    @app.get("/api/cases/{case_id}", response_model=schemas.CaseOut, responses=err, tags=["api"])
    def api_case(case_id: str = PathParam(..., max_length=16)):
        """One case (a unique id prefix is enough), as `search_cli.py case --json`."""
        with live.use() as archive:
            c = get_case(archive, case_id)
        return JSONResponse(c.to_dict())

    @app.get("/api/articles/{article_id}", response_model=schemas.ArticleOut, responses=err, tags=["api"])
    def api_article(article_id: str = PathParam(..., max_length=16)):
        """One article with its entities, as `search_cli.py show --json`."""
        with live.use() as archive:
            sa = get_article(archive, article_id)
            out = ArticleRecord(sa.id, sa.article, tuple(archive.store.mentions(sa.id))).to_dict()
        return JSONResponse(out)

    @app.get("/api/similar/{article_id}", response_model=list[schemas.SimilarHit], responses=err, tags=["api"])
    def api_similar(article_id: str = PathParam(..., max_length=16), k: int = Query(5, ge=1, le=MAX_SIMILAR_K)):
        """Precedent stories with what they share, as `search_cli.py similar --json`."""
        with live.use() as archive:
            sa = get_article(archive, article_id)
            rows = archive.similar(sa.id, k=k)
        return JSONResponse(rows)

    @app.get("/api/entities", response_model=list[schemas.EntityOut], responses=err, tags=["api"])
    def api_entities(
        type: str | None = Query(None, description=" | ".join(ENTITY_TYPES)),
        region: str | None = Query(None, max_length=40),
        level: str | None = Query(None, description="province | city | county"),
        limit: int = Query(50, ge=1, le=MAX_ENTITIES),
    ):
        """Entity values with mention and article counts, as `search_cli.py entities --json`."""
        etype = _choice("type", type, ENTITY_TYPES)
        level = _choice("level", level, LEVELS)
        with live.use() as archive:
            rows = archive.entities(etype, region=region or None, level=level, limit=limit)
        return JSONResponse(rows)

    @app.get("/api/stats", responses=err, tags=["api"])
    def api_stats():
        """Counts, as `search_cli.py stats --json`."""
        with live.use() as archive:
            s = archive.stats()
        return JSONResponse(s)

    @app.get("/api/regions", response_model=list[schemas.RegionOut], responses=err, tags=["api"])
    def api_regions(
        q: str = Query(..., min_length=1, max_length=40, description="Part of a place name"),
        limit: int = Query(10, ge=1, le=50),
    ):
        """Places whose name starts with or contains ``q``, with their parents and how many articles
        name them (for the region box's suggestions): places the archive mentions come first."""
        with live.use() as archive:
            counts = region_counts(archive)
        return JSONResponse(suggest_regions(q.strip(), counts, limit))

    # -- pages -----------------------------------------------------------------------------------
    @app.get("/", include_in_schema=False)
    def home():
        return RedirectResponse("/search", status_code=307)

    @app.get("/search", response_class=HTMLResponse, include_in_schema=False)
    def search_page(
        request: Request,
        q: str = Query("", max_length=MAX_QUERY_CHARS),
        mode: str | None = None,
        since: str | None = None,
        until: str | None = None,
        source: str | None = Query(None, max_length=40),
        region: str | None = Query(None, max_length=40),
        level: str | None = None,
        page_no: int = Query(1, alias="page", ge=1, le=POOL // PAGE_SIZE),
        format: str = Query("html", pattern="^(html|csv|json)$"),
    ):
        q = q.strip()
        with live.use() as archive:
            info = site(archive)
            if not q:
                if format != "html":
                    raise BadRequest("q: give a query to export its results", 422)
                top = [
                    (c, n)
                    for c, n in sorted(region_counts(archive).items(), key=lambda x: -x[1])
                    if _safe_level(c) == "province"
                ][:12]
                return page(request, "home.html", {"site": info, "provinces": [_unit_json(c, n) for c, n in top]})
            results, code = do_search(archive, q, POOL, mode, since, until, source, region, level)
            regions_of = archive.store.values_for([r.id for r in results], "region")
        if format != "html":
            rows = [r.to_dict() for r in results]
            if format == "csv":
                for r in rows:
                    r["snippet"] = render.plain_snippet(r["snippet"])
            return export(
                rows, ["id", "title", "date", "source", "page", "kind", "score", "snippet", "url"], format, "search"
            )
        params = dict(request.query_params)
        # counts describe the articles that contain the query's words; semantic search ranks
        # everything, so its tail would only blur them (semantic mode: its whole list)
        matching = [r for r in results if "keyword" in r.scores] if mode != "semantic" else results
        matching = matching or results
        buckets = render.time_buckets(r.date for r in matching)
        hrefs = [link("/search", params, since=b.since, until=b.until, page=None) for b in buckets]
        years = Counter((r.date or "")[:4] for r in matching if r.date)
        matching_ids = {r.id for r in matching}
        regions_of = {i: c for i, c in regions_of.items() if i in matching_ids}
        start = (page_no - 1) * PAGE_SIZE
        return page(
            request,
            "search.html",
            {
                "site": info,
                "q": q,
                "mode": mode or "hybrid",
                "results": results[start : start + PAGE_SIZE],
                "total": len(results),
                "pool": POOL,
                "matching": len(matching),
                "page_no": page_no,
                "pages": -(-len(results) // PAGE_SIZE),
                "start": start,
                "chart": render.chart_svg(buckets, hrefs),
                "years": sorted(years.items(), reverse=True),
                "facets": region_facets(regions_of, code),
                "region_unit": _unit_json(code) if code else None,
            },
        )

    @app.get("/who", response_class=HTMLResponse, include_in_schema=False)
    def who_page(
        request: Request,
        q: str = Query("", max_length=MAX_QUERY_CHARS),
        level: str | None = None,
        k: int = Query(10, ge=1, le=MAX_WHO_K),
        format: str = Query("html", pattern="^(html|csv|json)$"),
    ):
        q = q.strip()
        level = _choice("level", level, LEVELS)
        with live.use() as archive:
            info = site(archive)
            answers = [_who_dict(a) for a in archive.who(q, level=level, k=k)] if q else []
        if format != "html":
            if not q:
                raise BadRequest("q: give a question to export its answers", 422)
            for a in answers:
                a["path"] = " › ".join([*a.get("parents", []), a.get("region", "")])
            return export(
                answers,
                ["region", "level", "path", "code", "org", "program", "evidence", "article_id", "title", "score"],
                format,
                "who",
            )
        for a in answers:
            a["evidence_html"] = evidence_html(a, q)
            a["href"] = evidence_link(a)
        return page(request, "who.html", {"site": info, "q": q, "level": level, "answers": answers})

    @app.get("/cases", response_class=HTMLResponse, include_in_schema=False)
    def cases_page(
        request: Request,
        q: str = Query("", max_length=MAX_QUERY_CHARS),
        region: str | None = case_filters["region"],
        level: str | None = case_filters["level"],
        since: str | None = case_filters["since"],
        until: str | None = case_filters["until"],
        program: str | None = case_filters["program"],
        k: int = Query(20, ge=1, le=MAX_CASES),
        format: str = Query("html", pattern="^(html|csv|json)$"),
    ):
        with live.use() as archive:
            info = site(archive)
            found = do_cases(archive, q, region, level, since, until, program, k)
        if format == "csv":
            return Response(
                cases_csv(found),
                media_type="text/csv; charset=utf-8",
                headers={"content-disposition": 'attachment; filename="cases.csv"'},
            )
        if format == "json":
            return export([c.to_dict() for c in found], [], format, "cases")
        return page(request, "cases.html", {"site": info, "q": q.strip(), "cases": found, "k": k})

    @app.get("/cases/{case_id}", response_class=HTMLResponse, include_in_schema=False)
    def case_page(request: Request, case_id: str = PathParam(..., max_length=16)):
        with live.use() as archive:
            info = site(archive)
            c = get_case(archive, case_id)
        return page(request, "case.html", {"site": info, "c": c})

    @app.get("/articles/{article_id}", response_class=HTMLResponse, include_in_schema=False)
    def article_page(request: Request, article_id: str = PathParam(..., max_length=16), ev: str | None = None):
        with live.use() as archive:
            info = site(archive)
            sa = get_article(archive, article_id)
            mentions = archive.store.mentions(sa.id)
            try:
                similar, similar_error = archive.similar(sa.id, k=5), None
            except ArchiveError as e:
                similar, similar_error = [], str(e)
        a = sa.article
        highlight = _evidence_range(ev)
        fields = {}
        for name in FIELDS:
            text = getattr(a, name) or ""
            spans = render.non_overlapping(entity_spans(text, [m for m in mentions if m.field == name]))
            hl = highlight[1:] if highlight and highlight[0] == name else None
            fields[name] = render.annotate_html(text, spans, hl, paragraphs=(name == "body"))
        counts = Counter(m.type for m in mentions)
        return page(
            request,
            "article.html",
            {
                "site": info,
                "sa": sa,
                "a": a,
                "fields": fields,
                "similar": similar,
                "similar_error": similar_error,
                "entity_counts": [(t, counts[t]) for t in ENTITY_TYPES if counts[t]],
                "regions": _mentioned_regions(mentions),
            },
        )

    @app.get("/articles/{article_id}/similar", response_class=HTMLResponse, include_in_schema=False)
    def similar_page(
        request: Request,
        article_id: str = PathParam(..., max_length=16),
        k: int = Query(10, ge=1, le=MAX_SIMILAR_K),
        format: str = Query("html", pattern="^(html|csv|json)$"),
    ):
        with live.use() as archive:
            info = site(archive)
            sa = get_article(archive, article_id)
            rows = archive.similar(sa.id, k=k)
        if format != "html":
            return export(
                rows, ["id", "title", "date", "source", "kind", "score", "shared"], format, f"similar-{sa.id}"
            )
        return page(request, "similar.html", {"site": info, "sa": sa, "a": sa.article, "rows": rows, "k": k})

    @app.get("/regions", response_class=HTMLResponse, include_in_schema=False)
    def regions_page(
        request: Request,
        page_no: int = Query(1, alias="page", ge=1, le=10_000),
        format: str = Query("html", pattern="^(html|csv|json)$"),
    ):
        return region_view(request, None, page_no, format)

    @app.get("/regions/{code}", response_class=HTMLResponse, include_in_schema=False)
    def region_page(
        request: Request,
        code: str = PathParam(..., max_length=12),
        page_no: int = Query(1, alias="page", ge=1, le=10_000),
        format: str = Query("html", pattern="^(html|csv|json)$"),
    ):
        if not code.isdigit() or code not in all_units():
            raise BadRequest(f"no region with code {code!r}", 404)
        return region_view(request, code, page_no, format)

    def region_view(request: Request, code: str | None, page_no: int, fmt: str) -> Response:
        with live.use() as archive:
            info = site(archive)
            if code is None:
                data = cached("region_root", archive, lambda a: region_data(a, None))
            else:
                data = region_data(archive, code)
            ids = data["article_ids"]
            start = (page_no - 1) * REGION_PAGE_SIZE
            heads = archive.store.headlines(ids if fmt != "html" else ids[start : start + REGION_PAGE_SIZE])
            cases = archive.cases(region=code, k=REGION_CASES) if code and fmt == "html" else []
        rows = [heads[i] for i in (ids if fmt != "html" else ids[start : start + REGION_PAGE_SIZE]) if i in heads]
        if fmt != "html":
            return export(rows, ["id", "title", "date", "source", "kind", "page"], fmt, f"region-{code or 'all'}")
        return page(
            request,
            "region.html",
            {
                "site": info,
                "unit": _unit_json(code, len(ids)) if code else None,
                **data,
                "rows": rows,
                "page_no": page_no,
                "pages": -(-len(ids) // REGION_PAGE_SIZE),
                "start": start,
                "cases": cases,
            },
        )

    def region_data(archive: Archive, code: str | None) -> dict:
        """Articles about the place (or below it), newest first; its programs, organisations and
        figures; and each place directly below it with its article count and top programs."""
        if code is None:
            ids = sorted(archive.store.ids())
        else:
            ids = sorted(archive.store.articles_in_regions(descendant_codes(code)))
        regions_of = archive.store.values_for(ids, "region")
        programs_of = archive.store.values_for(ids, "program")
        dates = {i: h["date"] or "" for i, h in archive.store.headlines(ids).items()}
        ids.sort(key=lambda i: (dates.get(i, ""), i), reverse=True)
        children: dict[str, set[str]] = {}
        for aid, codes in regions_of.items():
            for c in codes:
                child = _child_of(c, code)
                if child:
                    children.setdefault(child, set()).add(aid)
        below = []
        for child, arts in sorted(children.items(), key=lambda x: (-len(x[1]), x[0])):
            progs = Counter(p for aid in arts for p in programs_of.get(aid, ()))
            below.append({**_unit_json(child, len(arts)), "programs": [p for p, _ in progs.most_common(3)]})
        if code is None:
            ids = [i for i in ids if regions_of.get(i)]
            ents: dict[str, list[dict]] = {t: [] for t in ("program", "org", "figure")}
        else:
            ents = {
                t: archive.entities(t, region=code, limit=n) for t, n in (("program", 20), ("org", 15), ("figure", 12))
            }
        return {"article_ids": ids, "below": below, "entities": ents}

    @app.get("/about", response_class=HTMLResponse, include_in_schema=False)
    def about_page(request: Request):
        with live.use() as archive:
            info = site(archive)
            s = archive.stats()
        return page(request, "about.html", {"site": info, "stats": s})

    return app


# -- pure helpers used by the pages ------------------------------------------------------------
def _safe_level(code: str) -> str:
    try:
        return region_by_code(code).level
    except KeyError:
        return ""


def suggest_regions(q: str, counts: dict[str, int], limit: int = 10) -> list[dict]:
    """Units named ``q`` first, then names starting with it, then containing it; places the
    archive mentions more come before others, higher levels before lower on ties."""
    if not q:
        return []
    scored = []
    for u in all_units().values():
        names = (u.name, *u.short_names)
        if q in names or q == u.code:
            rank = 0
        elif any(n.startswith(q) for n in names):
            rank = 1
        elif q in u.name:
            rank = 2
        else:
            continue
        scored.append((rank, -counts.get(u.code, 0), LEVELS.index(u.level), u.code))
    scored.sort()
    return [_unit_json(code, -neg) for _, neg, _, code in scored[:limit]]


def region_facets(regions_of: dict[str, set[str]], within: str | None) -> dict[str, list[dict]]:
    """Articles per province, city and county among the results (each article counted once per
    unit it names, at or below the region filter)."""
    per_level: dict[str, Counter] = {lvl: Counter() for lvl in LEVELS}
    for codes in regions_of.values():
        units: dict[str, set[str]] = {lvl: set() for lvl in LEVELS}
        for c in codes:
            for lvl in LEVELS:
                try:
                    u = unit_at_level(c, lvl)
                except KeyError:
                    u = None
                if u is not None:
                    units[lvl].add(u.code)
        for lvl in LEVELS:
            per_level[lvl].update(units[lvl])
    out = {}
    for lvl in LEVELS:
        rows = []
        for code, n in per_level[lvl].most_common():
            if within and code != within and within not in {a.code for a in ancestors(code)}:
                continue
            if within and code == within:
                continue  # the filter itself says nothing
            rows.append({"code": code, "name": region_by_code(code).name, "count": n})
        out[lvl] = rows[:8]
    return out


def entity_spans(text: str, mentions) -> list[render.Span]:
    """Links for the entities in one field: places to their region page, organisations,
    programs and people to a search for them; figures and dates marked only."""
    out = []
    for m in mentions:
        if not (0 <= m.start < m.end <= len(text)) or "\n" in text[m.start : m.end]:
            continue
        if text[m.start : m.end] != m.text:  # offsets from another version of the text: skip, never mislabel
            continue
        href, title = None, TYPE_NAMES.get(m.type, m.type)
        if m.type == "region":
            try:
                title = " › ".join([*(p.name for p in ancestors(m.value)), region_by_code(m.value).name])
                href = f"/regions/{m.value}"
            except KeyError:
                pass
        elif m.type in ("org", "program", "person"):
            mode = "hybrid" if m.type == "program" else "keyword"
            href = link("/search", {"q": f'"{m.value}"', "mode": mode})
            title = f"{TYPE_NAMES[m.type]}：{m.value}"
        elif m.value and m.value != m.text:
            title = f"{TYPE_NAMES.get(m.type, m.type)}：{m.value}"
        out.append(render.Span(m.start, m.end, m.type, href, title))
    return out


def _mentioned_regions(mentions) -> list[dict]:
    seen, out = set(), []
    for m in mentions:
        if m.type == "region" and m.value not in seen and m.value in all_units():
            seen.add(m.value)
            out.append(_unit_json(m.value))
    return out


def _evidence_range(ev: str | None) -> tuple[str, int, int] | None:
    m = _EVIDENCE.match(ev or "")
    return (m.group(1), int(m.group(2)), int(m.group(3))) if m else None


def evidence_html(answer: dict, question: str):
    """The evidence sentence with the acting organisation, the program, the place and the
    words it shares with the question marked."""
    text = answer.get("evidence") or ""
    spans = []
    for kind, value in (
        ("org", answer.get("org")),
        ("program", answer.get("program")),
        ("region", answer.get("region")),
    ):
        if value:
            i = text.find(value)
            if i >= 0:
                spans.append(render.Span(i, i + len(value), kind))
    spans += [render.Span(s, e, "hit") for s, e in render.shared_spans(text, question)]
    return render.annotate_html(text, render.non_overlapping(spans))


def evidence_link(answer: dict) -> str:
    aid = answer.get("article_id", "")
    f, s, e = answer.get("evidence_field"), answer.get("evidence_start"), answer.get("evidence_end")
    if f in FIELDS and isinstance(s, int) and isinstance(e, int) and e > s:
        return f"/articles/{aid}?ev={f}:{s}:{e}#evidence"
    return f"/articles/{aid}"
