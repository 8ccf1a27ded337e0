"""A read-only HTTP feed over the alert store (`tankerwatch serve OUT`), for tools that poll or subscribe.

The store (OUT/tankerwatch.sqlite, inference/visits.py) is the source of truth and the batch is its only
writer. The feed never writes: it opens the database read-only (`mode=ro`, and `PRAGMA query_only`) with
one connection per request, and it has only GET (and HEAD) routes. The store is in write-ahead-log mode,
so a request reads the last committed state while a batch writes, and never waits for it. A scene is
committed in one transaction, so a reader sees all of a scene's alerts or none of them, each one whole.

Cursors. Every alert has a sequence number in the store (`alerts.seq`, AUTOINCREMENT: it only grows and
is never reused), and the writer commits one transaction at a time, so an alert that becomes visible
always has a larger number than every alert visible before it. That number is the alert's cursor. A client
keeps the last cursor it has seen and asks for what came after it: `GET /alerts?after=CURSOR&limit=N`
returns the next alerts in order and `next`, the cursor to pass next time (the same one when nothing is
new). Nothing is missed and nothing comes twice, however the polls and the batch interleave, and a client
that restarts resumes from its saved cursor. Cursors are opaque strings: compare them for equality only.
Visits are paged the same way, in the order they were opened (`/visits?after=`).

Push. `GET /alerts/stream` is a Server-Sent Events stream (text/event-stream, one HTTP response that
stays open): the server polls the store by cursor about every half second and sends each newly committed
alert as an event whose `id:` is its cursor and whose `data:` is the alert line exactly as stored. A client
that loses the connection reconnects with the `Last-Event-ID` header (browsers' EventSource does this by
itself) and gets what it missed; a new client gets only alerts committed after it connected, or those after
`?after=CURSOR`. Comment lines keep an idle connection open through proxies.

`app(out_dir, token=None)` builds the Starlette application; `tankerwatch serve` runs it on uvicorn, bound
to 127.0.0.1 unless told otherwise. With a token every route but /health needs `Authorization: Bearer
TOKEN`. Errors are JSON: `{"error": "...", "status": 400}`. The OpenAPI description is at /openapi.json.
"""

from __future__ import annotations

import asyncio
import hmac
import json
import re
import socket
import sqlite3
import threading
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import FileResponse, HTMLResponse, JSONResponse, Response, StreamingResponse
from starlette.routing import Route
from starlette.types import ASGIApp, Receive, Scope, Send

from tankerwatch.inference.report import load_run, render_report
from tankerwatch.inference.visits import ID_HEX_CHARS, SCHEMA_VERSION, connect_read_only, store_path
from tankerwatch.schema import TankerwatchError

FEED_TOKEN_ENV = "TANKERWATCH_FEED_TOKEN"
DEFAULT_LIMIT = 100
MAX_LIMIT = 1000
POLL_S = 0.5  # how often an open stream looks for new alerts
KEEPALIVE_S = 15.0  # a comment line on an idle stream, so proxies keep it open
RETRY_MS = 2000  # how soon an EventSource reconnects after losing the stream
STREAM_BATCH = 500  # alerts read per poll of an open stream
MAX_STREAMS = 64  # open streams at most; more are refused with 503
OPEN_PATHS = frozenset({"/health"})  # the only route a token does not guard

_CURSOR_RE = re.compile(r"[0-9]{1,18}")  # fits an SQLite integer
_ALERT_ID_RE = re.compile(rf"[0-9a-f]{{{ID_HEX_CHARS}}}")
_CHIP_RE = re.compile(rf"(?:obs-)?[0-9a-f]{{{ID_HEX_CHARS}}}\.png")  # chips/<alert_id>.png, chips/obs-<id>.png
_PORT_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.:-]{0,63}")
_IMO_RE = re.compile(r"[0-9]{7}")
_IMO_WEIGHTS = (7, 6, 5, 4, 3, 2)
_TRUE, _FALSE = ("1", "true", "yes"), ("0", "false", "no")


class FeedError(Exception):
    """A request the feed answers with an HTTP error and a JSON body."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


def _error_response(status: int, message: str, headers: dict[str, str] | None = None) -> Response:
    return JSONResponse({"error": message, "status": status}, status_code=status, headers=headers)


def valid_imo(imo: str) -> bool:
    """Whether imo is 7 ASCII digits whose last digit is the IMO check digit."""
    if not _IMO_RE.fullmatch(imo):
        return False
    return sum(int(d) * w for d, w in zip(imo[:6], _IMO_WEIGHTS, strict=True)) % 10 == int(imo[6])


# --- reading the store ------------------------------------------------------------------------


class FeedReader:
    """Read-only queries on one output folder's store; each call opens its own connection and snapshot."""

    def __init__(self, out_dir: Path | str) -> None:
        self.out_dir = Path(out_dir)
        self.db_path = store_path(self.out_dir)
        self.chips_dir = self.out_dir / "chips"
        version = self.schema_version()
        if version > SCHEMA_VERSION:
            raise TankerwatchError(
                f"{self.db_path}: schema version {version} is newer than this tankerwatch's {SCHEMA_VERSION}"
            )

    @contextmanager
    def _read(self) -> Iterator[sqlite3.Connection]:
        """A read-only connection inside one read transaction: every query sees the same committed state."""
        try:
            db = connect_read_only(self.db_path)
        except sqlite3.Error as e:
            raise FeedError(503, f"the store cannot be opened ({e})") from None
        try:
            db.execute("BEGIN")
            yield db
        except sqlite3.Error as e:
            raise FeedError(503, f"the store cannot be read ({e})") from None
        finally:
            db.close()  # ends the read transaction (nothing to commit)

    def schema_version(self) -> int:
        """PRAGMA user_version of the store."""
        try:
            with self._read() as db:
                return int(db.execute("PRAGMA user_version").fetchone()[0])
        except FeedError as e:
            raise TankerwatchError(f"{self.db_path}: {e.message}") from None

    def health(self) -> dict:
        """Schema version, alert count and the newest alert's cursor."""
        with self._read() as db:
            version = db.execute("PRAGMA user_version").fetchone()[0]
            count, last = db.execute("SELECT COUNT(*), COALESCE(MAX(seq), 0) FROM alerts").fetchone()
        return {"status": "ok", "schema_version": version, "alerts": count, "last_cursor": str(last)}

    def last_cursor(self) -> int:
        """The cursor of the newest committed alert (0 in an empty store)."""
        with self._read() as db:
            return int(db.execute("SELECT COALESCE(MAX(seq), 0) FROM alerts").fetchone()[0])

    @staticmethod
    def _alert(row: sqlite3.Row, current: bool) -> dict:
        alert = json.loads(row["json"])
        if current:
            alert.update(first_seen=row["first_seen"], last_seen=row["last_seen"], sightings=row["sightings"])
        return alert

    def alerts_page(self, after: int, limit: int, current: bool = False) -> dict:
        """The alerts after a cursor, in order, at most limit of them, with the next cursor and whether more wait."""
        with self._read() as db:
            rows = db.execute(
                "SELECT a.seq, a.json, v.first_seen, v.last_seen, v.sightings FROM alerts a "
                "JOIN visits v ON v.visit_id = a.visit_id WHERE a.seq > ? ORDER BY a.seq LIMIT ?",
                (after, limit + 1),
            ).fetchall()
        page = rows[:limit]
        return {
            "alerts": [self._alert(r, current) for r in page],
            "next": str(page[-1]["seq"] if page else after),
            "more": len(rows) > limit,
        }

    def alerts_after(self, after: int, limit: int) -> list[tuple[int, str]]:
        """(cursor, alert JSON text as stored) after a cursor, in order: what a stream sends."""
        with self._read() as db:
            rows = db.execute("SELECT seq, json FROM alerts WHERE seq > ? ORDER BY seq LIMIT ?", (after, limit))
            return [(int(r["seq"]), r["json"]) for r in rows]

    def alert(self, alert_id: str) -> dict | None:
        """One alert with its visit's current state (first/last seen, sightings), or None."""
        with self._read() as db:
            row = db.execute(
                "SELECT a.seq, a.json, v.first_seen, v.last_seen, v.sightings FROM alerts a "
                "JOIN visits v ON v.visit_id = a.visit_id WHERE a.alert_id = ?",
                (alert_id,),
            ).fetchone()
        if row is None:
            return None
        return {**self._alert(row, current=True), "cursor": str(row["seq"])}

    def visits_page(self, after: int, limit: int, port: str | None = None, imo: str | None = None) -> dict:
        """Visits in the order they were opened (current state), after a cursor, optionally of one port or vessel."""
        where: list[str] = ["rowid > ?"]
        args: list[int | str] = [after]
        if port is not None:
            where.append("port_id = ?")
            args.append(port)
        if imo is not None:
            where.append("imo = ?")
            args.append(imo)
        # visits are never deleted, so a visit's rowid (its cursor) only grows, like an alert's seq
        with self._read() as db:
            rows = db.execute(
                "SELECT rowid AS cursor, visit_id, imo, port_id, first_seen, last_seen, sightings FROM visits "
                f"WHERE {' AND '.join(where)} ORDER BY rowid LIMIT ?",
                (*args, limit + 1),
            ).fetchall()
        page = rows[:limit]
        return {
            "visits": [{k: r[k] for k in r.keys() if k != "cursor"} for r in page],
            "next": str(page[-1]["cursor"] if page else after),
            "more": len(rows) > limit,
        }

    def vessel(self, imo: str, after: int, limit: int) -> dict | None:
        """A vessel's visits (in time order) and its alerts (current state, paged by cursor), or None if unseen."""
        with self._read() as db:
            visits = db.execute(
                "SELECT visit_id, imo, port_id, first_seen, last_seen, sightings FROM visits WHERE imo = ? "
                "ORDER BY first_seen, visit_id",
                (imo,),
            ).fetchall()
            if not visits:
                return None
            rows = db.execute(
                "SELECT a.seq, a.json, v.first_seen, v.last_seen, v.sightings FROM alerts a "
                "JOIN visits v ON v.visit_id = a.visit_id WHERE v.imo = ? AND a.seq > ? ORDER BY a.seq LIMIT ?",
                (imo, after, limit + 1),
            ).fetchall()
            latest = db.execute(
                "SELECT a.json FROM alerts a JOIN visits v ON v.visit_id = a.visit_id WHERE v.imo = ? "
                "ORDER BY a.seq DESC LIMIT 1",
                (imo,),
            ).fetchone()
        candidates = json.loads(latest["json"])["candidates"] if latest else []
        named: dict[str, Any] = next((c for c in candidates if c["imo"] == imo), {})
        page = rows[:limit]
        return {
            "imo": imo,
            "name": named.get("name"),
            "sanctions": named.get("sanctions", []),
            "visits": [dict(v) for v in visits],
            "alerts": [self._alert(r, current=True) for r in page],
            "next": str(page[-1]["seq"] if page else after),
            "more": len(rows) > limit,
        }

    def chip_path(self, name: str) -> Path:
        """The file of a chip name (already checked against the strict pattern), never outside OUT/chips."""
        path = (self.chips_dir / name).resolve()
        if path.parent != self.chips_dir.resolve() or not path.is_file():
            raise FeedError(404, f"no chip {name}")
        return path


# --- request parameters -----------------------------------------------------------------------


def _params(request: Request, allowed: tuple[str, ...]) -> dict[str, str]:
    """The query parameters, each given at most once and each one this route knows (else 400)."""
    out: dict[str, str] = {}
    for key, value in request.query_params.multi_items():
        if key not in allowed:
            expected = ", ".join(allowed) if allowed else "none"
            raise FeedError(400, f"unknown parameter {key!r} (expected: {expected})")
        if key in out:
            raise FeedError(400, f"parameter {key!r} given twice")
        out[key] = value
    return out


def _cursor(value: str | None, name: str = "after") -> int:
    """A cursor parameter (absent: the start)."""
    if value is None:
        return 0
    if not _CURSOR_RE.fullmatch(value):
        raise FeedError(400, f"{name} {value!r}: not a cursor (pass back a 'next' or an event id)")
    return int(value)


def _limit(value: str | None) -> int:
    if value is None:
        return DEFAULT_LIMIT
    if not re.fullmatch(r"[0-9]{1,6}", value) or not 1 <= int(value) <= MAX_LIMIT:
        raise FeedError(400, f"limit {value!r}: expected a whole number from 1 to {MAX_LIMIT}")
    return int(value)


def _flag(value: str | None, name: str) -> bool:
    if value is None:
        return False
    if value.lower() in _TRUE:
        return True
    if value.lower() in _FALSE:
        return False
    raise FeedError(400, f"{name} {value!r}: expected true or false")


def _imo(value: str | None, name: str = "imo") -> str | None:
    if value is None:
        return None
    if not valid_imo(value):
        raise FeedError(400, f"{name} {value!r}: not an IMO number (7 digits with a valid check digit)")
    return value


def _port(value: str | None) -> str | None:
    if value is not None and not _PORT_RE.fullmatch(value):
        raise FeedError(400, f"port {value!r}: not a port id")
    return value


# --- the application --------------------------------------------------------------------------


class _BearerAuth:
    """ASGI middleware: every request but OPEN_PATHS must carry `Authorization: Bearer TOKEN` (else 401)."""

    def __init__(self, app: ASGIApp, token: str) -> None:
        self.app = app
        self.token = token.encode("utf-8")

    def _authorized(self, scope: Scope) -> bool:
        for key, value in scope.get("headers", []):
            if key == b"authorization":
                scheme, _, credentials = value.partition(b" ")
                # compare_digest takes as long whatever prefix matches: the token cannot be guessed byte by byte
                return scheme.lower() == b"bearer" and hmac.compare_digest(credentials.strip(), self.token)
        return False

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] in OPEN_PATHS or self._authorized(scope):
            await self.app(scope, receive, send)
            return
        response = _error_response(
            401, "missing or wrong bearer token (send Authorization: Bearer TOKEN)", {"WWW-Authenticate": "Bearer"}
        )
        await response(scope, receive, send)


def app(
    out_dir: Path | str,
    token: str | None = None,
    poll_s: float = POLL_S,
    keepalive_s: float = KEEPALIVE_S,
    max_streams: int = MAX_STREAMS,
) -> Starlette:
    """The read-only feed of an output folder's store as an ASGI application (run it with uvicorn)."""
    if token is not None and not token.strip():
        raise TankerwatchError("the feed token is empty (give a non-empty --token or TANKERWATCH_FEED_TOKEN)")
    reader = FeedReader(out_dir)
    streams = {"open": 0}

    async def read(fn: Any, *args: Any) -> Any:
        """Run a store query in the thread pool, so that the event loop never waits for SQLite."""
        return await run_in_threadpool(fn, *args)

    async def health(request: Request) -> Response:
        _params(request, ())
        return JSONResponse(await read(reader.health))

    async def openapi(request: Request) -> Response:
        _params(request, ())
        return JSONResponse(openapi_spec())

    async def alerts(request: Request) -> Response:
        p = _params(request, ("after", "limit", "current"))
        after, limit, current = _cursor(p.get("after")), _limit(p.get("limit")), _flag(p.get("current"), "current")
        return JSONResponse(await read(reader.alerts_page, after, limit, current))

    async def alert(request: Request) -> Response:
        _params(request, ())
        alert_id = request.path_params["alert_id"]
        if not _ALERT_ID_RE.fullmatch(alert_id):
            raise FeedError(400, f"alert id {alert_id!r}: expected {ID_HEX_CHARS} lowercase hex digits")
        found = await read(reader.alert, alert_id)
        if found is None:
            raise FeedError(404, f"no alert {alert_id}")
        return JSONResponse(found)

    async def visits(request: Request) -> Response:
        p = _params(request, ("port", "imo", "after", "limit"))
        args = (_cursor(p.get("after")), _limit(p.get("limit")), _port(p.get("port")), _imo(p.get("imo")))
        return JSONResponse(await read(reader.visits_page, *args))

    async def vessel(request: Request) -> Response:
        p = _params(request, ("after", "limit"))
        imo = _imo(request.path_params["imo"])
        assert imo is not None
        found = await read(reader.vessel, imo, _cursor(p.get("after")), _limit(p.get("limit")))
        if found is None:
            raise FeedError(404, f"no visits of IMO {imo} in this store")
        return JSONResponse(found)

    async def chip(request: Request) -> Response:
        _params(request, ())
        name = request.path_params["name"]
        if not _CHIP_RE.fullmatch(name):
            raise FeedError(400, f"chip {name!r}: expected <alert id>.png or obs-<observation id>.png")
        return FileResponse(await read(reader.chip_path, name), media_type="image/png")

    async def report(request: Request) -> Response:
        _params(request, ())
        # the same page `tankerwatch report` writes, rendered from the store as it is now (read-only)
        page = await run_in_threadpool(render_report, load_run(reader.out_dir))
        return HTMLResponse(page)

    async def events(after: int) -> AsyncIterator[str]:
        """The stream's body: new alerts as events, by cursor, until the client goes (or the store fails)."""
        streams["open"] += 1
        try:
            yield f"retry: {RETRY_MS}\n: tankerwatch alerts after cursor {after}\n\n"
            idle = 0.0
            while True:
                try:
                    rows = await read(reader.alerts_after, after, STREAM_BATCH)
                except FeedError as e:
                    yield f"event: error\ndata: {json.dumps({'error': e.message, 'status': e.status})}\n\n"
                    return  # the client reconnects after `retry` with Last-Event-ID
                if rows:
                    # the stored line is one line of JSON (no raw newlines), so it is one data: field
                    yield "".join(f"id: {seq}\nevent: alert\ndata: {text}\n\n" for seq, text in rows)
                    after, idle = rows[-1][0], 0.0
                    if len(rows) == STREAM_BATCH:
                        continue
                elif idle >= keepalive_s:
                    yield ": keepalive\n\n"
                    idle = 0.0
                await asyncio.sleep(poll_s)
                idle += poll_s
        finally:
            streams["open"] -= 1

    async def stream(request: Request) -> Response:
        p = _params(request, ("after",))
        resume = request.headers.get("last-event-id")
        if resume is not None and resume.strip():
            after = _cursor(resume.strip(), "Last-Event-ID")
        elif "after" in p:
            after = _cursor(p["after"])
        else:
            after = await read(reader.last_cursor)  # a new subscriber gets what is committed from now on
        headers = {"Cache-Control": "no-cache", "X-Accel-Buffering": "no"}
        if request.method == "HEAD":
            return Response(media_type="text/event-stream", headers=headers)
        if streams["open"] >= max_streams:
            raise FeedError(503, f"{max_streams} streams are open already; poll /alerts?after= or retry later")
        return StreamingResponse(events(after), media_type="text/event-stream", headers=headers)

    async def http_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, HTTPException)
        return _error_response(exc.status_code, exc.detail, dict(exc.headers or {}))

    async def feed_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, FeedError)
        return _error_response(exc.status, exc.message)

    async def server_error(request: Request, exc: Exception) -> Response:
        return _error_response(500, "internal error (see the server's log)")

    get = ["GET"]  # Starlette adds HEAD to every GET route; any other method is answered 405
    routes = [
        Route("/health", health, methods=get),
        Route("/openapi.json", openapi, methods=get),
        Route("/alerts", alerts, methods=get),
        Route("/alerts/stream", stream, methods=get),
        Route("/alerts/{alert_id}", alert, methods=get),
        Route("/visits", visits, methods=get),
        Route("/vessels/{imo}", vessel, methods=get),
        Route("/chips/{name:path}", chip, methods=get),
        Route("/report", report, methods=get),
    ]
    middleware = [Middleware(_BearerAuth, token=token)] if token is not None else []
    application = Starlette(
        routes=routes,
        middleware=middleware,
        exception_handlers={HTTPException: http_error, FeedError: feed_error, 500: server_error},
    )
    application.state.reader = reader
    application.state.streams = streams
    return application


# --- OpenAPI ----------------------------------------------------------------------------------


def _param(name: str, where: str, description: str, schema: dict, required: bool = False) -> dict:
    return {"name": name, "in": where, "required": required, "description": description, "schema": schema}


_AFTER = _param(
    "after", "query", "Cursor: the `next` of the previous page (absent: from the start).", {"type": "string"}
)
_LIMIT = _param(
    "limit", "query", "Items per page.", {"type": "integer", "minimum": 1, "maximum": MAX_LIMIT, "default": 100}
)


def _ok(description: str, schema: dict, media: str = "application/json") -> dict:
    return {"description": description, "content": {media: {"schema": schema}}}


def _errors(*codes: int) -> dict:
    text = {
        400: "Bad parameter",
        401: "Missing or wrong bearer token",
        404: "Not found",
        503: "Store unreadable",
    }
    return {str(c): {"description": text[c], "content": {"application/json": {"schema": _ref("Error")}}} for c in codes}


def _ref(name: str) -> dict:
    return {"$ref": f"#/components/schemas/{name}"}


def openapi_spec() -> dict:
    """The OpenAPI 3.1 description of the feed (served at /openapi.json)."""
    page = {
        "next": {"type": "string", "description": "Cursor to pass as `after` next time"},
        "more": {"type": "boolean"},
    }
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "tankerwatch alert feed",
            "version": "1",
            "description": "Read-only feed of a tankerwatch output folder: port-visit alerts (docs/contracts.md), "
            "visits, vessels, chips. Poll /alerts?after=CURSOR, or subscribe to /alerts/stream (Server-Sent Events).",
        },
        "components": {
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
            "schemas": {
                "Error": {
                    "type": "object",
                    "required": ["error", "status"],
                    "properties": {"error": {"type": "string"}, "status": {"type": "integer"}},
                },
                "Alert": {
                    "type": "object",
                    "description": "An alert line as in OUT/alerts.jsonl (docs/contracts.md): type port_visit, "
                    "unidentified_tanker, sts_transfer (with vessels, gap_m, angle_deg, overlap_share) or "
                    "coal_loading (with port_area, area_kind, p_bulk_carrier, vessels, stockpile).",
                    "required": ["alert_id", "type", "port_id", "scene_id", "acquired", "candidates", "visit_id"],
                    "additionalProperties": True,
                },
                "Visit": {
                    "type": "object",
                    "properties": {
                        "visit_id": {"type": "string"},
                        "imo": {"type": "string"},
                        "port_id": {"type": "string"},
                        "first_seen": {"type": "string", "format": "date-time"},
                        "last_seen": {"type": "string", "format": "date-time"},
                        "sightings": {"type": "integer"},
                    },
                },
                "AlertPage": {
                    "type": "object",
                    "properties": {"alerts": {"type": "array", "items": _ref("Alert")}, **page},
                },
                "VisitPage": {
                    "type": "object",
                    "properties": {"visits": {"type": "array", "items": _ref("Visit")}, **page},
                },
                "Vessel": {
                    "type": "object",
                    "properties": {
                        "imo": {"type": "string"},
                        "name": {"type": ["string", "null"]},
                        "sanctions": {"type": "array", "items": {"type": "string"}},
                        "visits": {"type": "array", "items": _ref("Visit")},
                        "alerts": {"type": "array", "items": _ref("Alert")},
                        **page,
                    },
                },
            },
        },
        "security": [{"bearer": []}],
        "paths": {
            "/health": {
                "get": {
                    "summary": "Liveness: schema version, alert count, newest cursor (no token needed)",
                    "security": [],
                    "responses": {"200": _ok("Healthy", {"type": "object"}), **_errors(503)},
                }
            },
            "/openapi.json": {
                "get": {"summary": "This description", "responses": {"200": _ok("OpenAPI", {"type": "object"})}}
            },
            "/alerts": {
                "get": {
                    "summary": "Alerts after a cursor, in the order emitted",
                    "parameters": [
                        _AFTER,
                        _LIMIT,
                        _param(
                            "current",
                            "query",
                            "Refresh each alert's visit state.",
                            {"type": "boolean", "default": False},
                        ),
                    ],
                    "responses": {"200": _ok("A page of alerts", _ref("AlertPage")), **_errors(400, 401, 503)},
                }
            },
            "/alerts/stream": {
                "get": {
                    "summary": "Server-Sent Events: each alert committed from now on (event id = its cursor)",
                    "parameters": [
                        _param("after", "query", "Start after this cursor instead of now.", {"type": "string"}),
                        _param("Last-Event-ID", "header", "Resume after this event id.", {"type": "string"}),
                    ],
                    "responses": {
                        "200": _ok(
                            "event: alert, id: cursor, data: the alert JSON", {"type": "string"}, "text/event-stream"
                        ),
                        **_errors(400, 401, 503),
                    },
                }
            },
            "/alerts/{alert_id}": {
                "get": {
                    "summary": "One alert with its visit's current state",
                    "parameters": [_param("alert_id", "path", "16 hex digits", {"type": "string"}, True)],
                    "responses": {"200": _ok("The alert", _ref("Alert")), **_errors(400, 401, 404, 503)},
                }
            },
            "/visits": {
                "get": {
                    "summary": "Port visits in the order opened (current state)",
                    "parameters": [
                        _param("port", "query", "Only this port id.", {"type": "string"}),
                        _param("imo", "query", "Only this vessel.", {"type": "string", "pattern": "^[0-9]{7}$"}),
                        _AFTER,
                        _LIMIT,
                    ],
                    "responses": {"200": _ok("A page of visits", _ref("VisitPage")), **_errors(400, 401, 503)},
                }
            },
            "/vessels/{imo}": {
                "get": {
                    "summary": "A vessel's visits and alerts (alerts paged by cursor)",
                    "parameters": [
                        _param("imo", "path", "IMO number", {"type": "string", "pattern": "^[0-9]{7}$"}, True),
                        _AFTER,
                        _LIMIT,
                    ],
                    "responses": {"200": _ok("The vessel", _ref("Vessel")), **_errors(400, 401, 404, 503)},
                }
            },
            "/chips/{name}": {
                "get": {
                    "summary": "An alert's PNG crop (the alert's `chip` field names it)",
                    "parameters": [
                        _param(
                            "name",
                            "path",
                            "<alert id>.png or obs-<id>.png",
                            {"type": "string", "pattern": "^(obs-)?[0-9a-f]{16}\\.png$"},
                            True,
                        )
                    ],
                    "responses": {
                        "200": {"description": "PNG", "content": {"image/png": {}}},
                        **_errors(400, 401, 404),
                    },
                }
            },
            "/report": {
                "get": {
                    "summary": "The run's self-contained HTML report (as `tankerwatch report` writes it), as of now",
                    "responses": {"200": {"description": "HTML", "content": {"text/html": {}}}, **_errors(401)},
                }
            },
        },
    }


# --- running on uvicorn -----------------------------------------------------------------------


def uvicorn_config(application: Starlette, host: str = "127.0.0.1", port: int = 8080, log_level: str = "info") -> Any:
    """uvicorn's settings for the feed: no proxy headers, no server header, open streams cut after 3 s on exit."""
    import uvicorn

    return uvicorn.Config(
        application,
        host=host,
        port=port,
        log_level=log_level,
        proxy_headers=False,
        server_header=False,
        timeout_graceful_shutdown=3,
        lifespan="off",
    )


@contextmanager
def background_server(application: Starlette, host: str = "127.0.0.1", log_level: str = "warning") -> Iterator[str]:
    """Run the feed on uvicorn in a thread on a free port of host; yields its base URL (tests, benchmarks)."""
    import uvicorn

    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, 0))
    port = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn_config(application, host, port, log_level))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, name="tankerwatch-feed", daemon=True)
    thread.start()
    deadline = time.monotonic() + 10.0
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise TankerwatchError(f"the feed server did not start on {host}:{port}")
        time.sleep(0.02)
    try:
        yield f"http://{host}:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10.0)
        sock.close()
