"""The read-only feed (`tankerwatch serve`): cursor paging, routes, errors, no writes, chips, token, SSE.

Routes and errors go through Starlette's TestClient; the two concurrency checks (a poller while a batch
writes, a stream subscriber) and the raw path-traversal requests run a real uvicorn server on loopback.
"""

from __future__ import annotations

import hashlib
import json
import socket
import sqlite3
import threading
import time
from datetime import timedelta
from pathlib import Path

import httpx2 as httpx
import pytest
from click.testing import CliRunner
from starlette.routing import Route
from starlette.testclient import TestClient

from tankerwatch.config import MatchConfig, VisitConfig
from tankerwatch.inference.serve import app, background_server, openapi_spec, valid_imo
from tankerwatch.inference.visits import SCHEMA_VERSION, AlertStore
from tests.test_visits import ALERT_FIELDS, PORT_NAMES, T0, sighting

IMO = "1000021"
OTHER_IMOS = [
    f"{n:06d}{sum(int(d) * w for d, w in zip(f'{n:06d}', (7, 6, 5, 4, 3, 2), strict=True)) % 10}"
    for n in range(200001, 200006)
]


def chip_writer(out: Path):
    """A write_chip that puts a tiny PNG file under OUT/chips, as inference/outputs.py does."""

    def write(ident, alert_id: str) -> str:
        rel = f"chips/{alert_id}.png"
        (out / "chips").mkdir(exist_ok=True)
        (out / rel).write_bytes(b"\x89PNG\r\n\x1a\n" + alert_id.encode())
        return rel

    return write


def record(store: AlertStore, scene_id: str, hours: float, idents) -> list[dict]:
    return store.record_scene(
        scene_id,
        f"/scenes/{scene_id}.tif",
        T0 + timedelta(hours=hours),
        idents,
        MatchConfig(),
        VisitConfig(gap_hours=72.0),
        chip_writer(store.out_dir),
        PORT_NAMES,
    )


def scene_idents(scene_id: str, n: int, imo: str = IMO) -> list:
    """n sightings of one vessel in one scene, ~80 m apart (each is its own alert)."""
    return [sighting(scene_id, imo=imo, lon=133.065 + 0.001 * k) for k in range(n)]


@pytest.fixture
def out(tmp_path: Path) -> Path:
    """A store with 5 alerts: 2 + 2 sightings of IMO in one visit, 1 of another vessel."""
    with AlertStore(tmp_path) as store:
        record(store, "s1", 0, scene_idents("s1", 2))
        record(store, "s2", 5, scene_idents("s2", 2))
        record(store, "s3", 6, scene_idents("s3", 1, OTHER_IMOS[0]))
    return tmp_path


@pytest.fixture
def client(out: Path) -> TestClient:
    return TestClient(app(out))


def stored_alerts(out: Path) -> list[dict]:
    with AlertStore(out) as store:
        return store.alerts()


def test_the_test_imos_are_valid():
    assert valid_imo(IMO) and all(valid_imo(i) for i in OTHER_IMOS)
    assert not valid_imo("1000022") and not valid_imo("100002") and not valid_imo("１０００021")


def test_alerts_page_in_order_by_cursor(client: TestClient, out: Path):
    seen, after, pages = [], None, 0
    while True:
        r = client.get("/alerts", params={"limit": 2, **({"after": after} if after else {})})
        assert r.status_code == 200 and r.headers["content-type"].startswith("application/json")
        page = r.json()
        assert set(page) == {"alerts", "next", "more"} and isinstance(page["next"], str)
        seen += page["alerts"]
        after, pages = page["next"], pages + 1
        if not page["more"]:
            break
    assert pages == 3
    assert seen == stored_alerts(out)  # every alert once, in order, exactly as emitted
    assert all(list(a) == ALERT_FIELDS for a in seen)
    # nothing new: an empty page hands the same cursor back
    assert client.get("/alerts", params={"after": after}).json() == {"alerts": [], "next": after, "more": False}


def test_an_alert_by_id_has_its_visit_current_state(client: TestClient, out: Path):
    first = stored_alerts(out)[0]
    assert first["sightings"] == 1  # as emitted
    r = client.get(f"/alerts/{first['alert_id']}")
    assert r.status_code == 200
    now = r.json()
    assert now["sightings"] == 4 and now["last_seen"] == "2024-05-01T07:31:00Z" and now["cursor"] == "1"
    assert {k: v for k, v in now.items() if k not in ("sightings", "last_seen", "cursor")} == {
        k: v for k, v in first.items() if k not in ("sightings", "last_seen")
    }
    assert client.get("/alerts", params={"current": "true"}).json()["alerts"][0]["sightings"] == 4
    r = client.get("/alerts/0123456789abcdef")
    assert r.status_code == 404 and r.json() == {"error": "no alert 0123456789abcdef", "status": 404}


def test_visits_filter_by_port_and_vessel_and_page(client: TestClient):
    all_visits = client.get("/visits").json()
    assert [v["imo"] for v in all_visits["visits"]] == [IMO, OTHER_IMOS[0]] and not all_visits["more"]
    assert all_visits["visits"][0]["sightings"] == 4
    first = client.get("/visits", params={"limit": 1}).json()
    assert first["more"] and len(first["visits"]) == 1
    rest = client.get("/visits", params={"after": first["next"]}).json()
    assert [v["imo"] for v in rest["visits"]] == [OTHER_IMOS[0]]
    assert [v["imo"] for v in client.get("/visits", params={"imo": OTHER_IMOS[0]}).json()["visits"]] == [OTHER_IMOS[0]]
    assert len(client.get("/visits", params={"port": "RU-VOS"}).json()["visits"]) == 2
    assert client.get("/visits", params={"port": "CN-DLC"}).json()["visits"] == []


def test_a_vessel_has_its_visits_and_alerts(client: TestClient):
    r = client.get(f"/vessels/{IMO}")
    assert r.status_code == 200
    v = r.json()
    assert (v["imo"], v["name"], v["sanctions"]) == (IMO, "DEMO STAR", ["UN-1718", "OFAC-SDN"])
    assert len(v["visits"]) == 1 and len(v["alerts"]) == 4 and not v["more"]
    assert all(a["candidates"][0]["imo"] == IMO and a["sightings"] == 4 for a in v["alerts"])
    paged = client.get(f"/vessels/{IMO}", params={"limit": 3}).json()
    assert paged["more"] and len(client.get(f"/vessels/{IMO}", params={"after": paged["next"]}).json()["alerts"]) == 1
    r = client.get(f"/vessels/{OTHER_IMOS[1]}")  # a valid IMO this store never saw
    assert r.status_code == 404 and r.json()["status"] == 404


@pytest.mark.parametrize(
    "url",
    [
        "/alerts?after=abc",
        "/alerts?after=-1",
        "/alerts?after=1.5",
        "/alerts?after=99999999999999999999",
        "/alerts?limit=0",
        "/alerts?limit=1001",
        "/alerts?limit=ten",
        "/alerts?current=maybe",
        "/alerts?afer=3",  # a typo is refused, not ignored
        "/alerts?after=1&after=2",
        "/alerts/not-an-id",
        "/alerts/0123456789ABCDEF",
        "/alerts/stream?after=x",
        "/visits?imo=123",
        "/visits?imo=1000022",  # wrong check digit
        "/visits?port=%27%3B%20DROP",
        "/visits?limit=-5",
        "/vessels/abc",
        "/vessels/10000211",
        "/vessels/1000022",
        "/chips/foo.png",
        "/health?x=1",
    ],
)
def test_bad_parameters_are_a_400_with_a_json_error(client: TestClient, url: str):
    r = client.get(url)
    assert r.status_code == 400, r.text
    body = r.json()
    assert set(body) == {"error", "status"} and body["status"] == 400 and body["error"]


def test_a_bad_last_event_id_is_a_400(out: Path):
    r = TestClient(app(out)).get("/alerts/stream", headers={"Last-Event-ID": "x"})
    assert r.status_code == 400 and "Last-Event-ID" in r.json()["error"]


def test_there_is_no_write_route(client: TestClient, out: Path):
    routes = [r for r in client.app.routes if isinstance(r, Route)]  # type: ignore[attr-defined]
    assert routes and all(r.methods <= {"GET", "HEAD"} for r in routes)
    before = hashlib.sha256((out / "tankerwatch.sqlite").read_bytes()).hexdigest()
    alert_id = stored_alerts(out)[0]["alert_id"]
    paths = ["/alerts", f"/alerts/{alert_id}", "/alerts/stream", "/visits", f"/vessels/{IMO}", "/health"]
    paths += [f"/chips/{alert_id}.png", "/openapi.json"]
    for path in paths:
        assert client.head(path).status_code == 200, path
        for method in ("POST", "PUT", "PATCH", "DELETE"):
            r = client.request(method, path, json={"alert_id": "x"})
            assert r.status_code == 405, (method, path)
            assert r.json()["status"] == 405 and "GET" in r.headers["allow"]
    r = client.get("/nowhere")
    assert r.status_code == 404 and r.json() == {"error": "Not Found", "status": 404}
    assert hashlib.sha256((out / "tankerwatch.sqlite").read_bytes()).hexdigest() == before
    assert stored_alerts(out) and len(stored_alerts(out)) == 5


def test_the_store_is_opened_read_only(out: Path):
    reader = app(out).state.reader
    with reader._read() as db:
        with pytest.raises(sqlite3.OperationalError, match="readonly|read-only|query_only"):
            db.execute("DELETE FROM alerts")
    with reader._read() as db:
        assert db.execute("SELECT COUNT(*) FROM alerts").fetchone()[0] == 5


def test_chips_are_served_and_traversal_is_refused(client: TestClient, out: Path):
    alert = stored_alerts(out)[0]
    r = client.get(f"/{alert['chip']}")  # the alert's chip field is the route
    assert r.status_code == 200 and r.headers["content-type"] == "image/png"
    assert r.content == (out / alert["chip"]).read_bytes()
    (out / "secret.png").write_bytes(b"not for the feed")
    (out / "chips" / "fedcba9876543210.png").symlink_to(out / "secret.png")  # a link out of OUT/chips
    (out / "chips" / "sub").mkdir()
    for path in (
        "/chips/..%2Ftankerwatch.sqlite",
        "/chips/..%2Fsecret.png",
        "/chips/%2E%2E%2Fsecret.png",
        "/chips/sub%2F..%2F..%2Fsecret.png",
        "/chips/%2Fetc%2Fpasswd",
        "/chips/..%5Csecret.png",
        "/chips/0123456789abcdef.png%00.txt",
        "/chips/fedcba9876543210.png",
        "/chips/0123456789abcdef.png",  # well formed, no such chip
    ):
        r = client.get(path)
        assert r.status_code in (400, 404), path
        assert r.json()["status"] == r.status_code and b"not for the feed" not in r.content


def test_a_token_guards_every_route_but_health(out: Path):
    c = TestClient(app(out, token="s3cret"))
    assert c.get("/health").status_code == 200
    for path in ("/alerts", "/visits", f"/vessels/{IMO}", "/openapi.json", "/alerts/0123456789abcdef"):
        for headers in (
            {},
            {"Authorization": "Bearer wrong"},
            {"Authorization": "s3cret"},
            {"Authorization": "Basic s3cret"},
        ):
            r = c.get(path, headers=headers)
            assert r.status_code == 401 and r.json()["status"] == 401 and r.headers["www-authenticate"] == "Bearer"
    assert c.get("/alerts", headers={"Authorization": "Bearer s3cret"}).status_code == 200
    assert c.get("/alerts", headers={"Authorization": "bearer s3cret"}).status_code == 200
    assert c.post("/alerts", headers={"Authorization": "Bearer s3cret"}).status_code == 405


def test_health_and_openapi(client: TestClient):
    h = client.get("/health").json()
    assert h == {"status": "ok", "schema_version": SCHEMA_VERSION, "alerts": 5, "last_cursor": "5"}
    spec = client.get("/openapi.json").json()
    assert spec == openapi_spec() and spec["openapi"].startswith("3.")
    routes = {r.path.replace("{name:path}", "{name}") for r in client.app.routes}  # type: ignore[attr-defined]
    assert set(spec["paths"]) == routes
    assert all(set(ops) == {"get"} for ops in spec["paths"].values())


def test_the_command_refuses_a_folder_without_a_store_in_one_line(tmp_path: Path):
    from tankerwatch.cli import main

    result = CliRunner().invoke(main, ["serve", str(tmp_path)])
    assert result.exit_code == 2
    assert result.output.strip().count("\n") == 0 and "no tankerwatch.sqlite" in result.output
    help_text = CliRunner().invoke(main, ["serve", "--help"]).output
    assert "Example:" in help_text and "--token" in help_text and "127.0.0.1" in help_text


def test_an_empty_token_is_refused(out: Path):
    from tankerwatch.schema import TankerwatchError

    with pytest.raises(TankerwatchError, match="token is empty"):
        app(out, token=" ")


# --- a real server on loopback ------------------------------------------------------------------


def raw_get(base: str, target: str) -> tuple[int, bytes]:
    """GET a request target sent byte for byte (no client-side normalising of '..'): status, body."""
    host, port = base.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=5) as s:
        s.sendall(f"GET {target} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n".encode())
        data = b""
        while chunk := s.recv(65536):
            data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    return int(head.split()[1]), body


def test_traversal_sent_raw_to_the_server_is_refused(out: Path):
    (out / "secret.png").write_bytes(b"not for the feed")
    with background_server(app(out)) as base:
        for target in (
            "/chips/../tankerwatch.sqlite",
            "/chips/../secret.png",
            "/chips/%2e%2e/secret.png",
            "/chips/..%2fsecret.png",
            "/chips/../../../../etc/passwd",
            "/chips//etc/passwd",
        ):
            status, body = raw_get(base, target)
            assert status in (400, 404), target
            assert b"not for the feed" not in body and b"SQLite format" not in body and b"root:" not in body


def test_a_poller_sees_only_whole_alerts_while_a_batch_writes(tmp_path: Path):
    with AlertStore(tmp_path) as store:
        record(store, "w0", 0, scene_idents("w0", 3))
    n_scenes, per_scene = 40, 3
    done = threading.Event()
    errors: list[BaseException] = []

    def writer() -> None:
        try:
            with AlertStore(tmp_path) as store:  # its own connection, in its own thread, as a batch has
                for i in range(1, n_scenes):
                    record(store, f"w{i}", i, scene_idents(f"w{i}", per_scene))
                    time.sleep(0.005)
        except BaseException as e:  # pragma: no cover - reported below
            errors.append(e)
        finally:
            done.set()

    seen: list[dict] = []
    polls = 0
    with background_server(app(tmp_path)) as base, httpx.Client(base_url=base, timeout=10) as http:
        thread = threading.Thread(target=writer)
        thread.start()
        after = "0"
        while True:
            finished = done.is_set()  # read before the poll: a poll after the last commit must come up empty
            r = http.get("/alerts", params={"after": after, "limit": 7})
            assert r.status_code == 200
            page = r.json()
            polls += 1
            for a in page["alerts"]:
                assert list(a) == ALERT_FIELDS  # whole: every contract field, the JSON parsed
                assert a["candidates"][0]["imo"] == IMO and a["chip"] == f"chips/{a['alert_id']}.png"
            seen += page["alerts"]
            after = page["next"]
            if finished and not page["more"] and not page["alerts"]:
                break
        thread.join()
    assert not errors
    assert polls > 3  # it did poll while the batch wrote
    ids = [a["alert_id"] for a in seen]
    assert len(ids) == len(set(ids)) == n_scenes * per_scene  # none missing, none twice
    assert seen == stored_alerts(tmp_path)  # in order, exactly as emitted


def sse_events(lines) -> dict:
    """The next event of an SSE line iterator, as {field: value}; comments skipped."""
    event: dict[str, str] = {}
    for line in lines:
        if line == "":
            if event:
                return event
            continue
        if line.startswith(":"):
            continue
        field, _, value = line.partition(":")
        event[field] = value.removeprefix(" ")
    raise AssertionError("the stream ended")


def test_the_stream_delivers_an_alert_written_after_the_client_connected(out: Path):
    application = app(out, token="t0k", poll_s=0.1)
    auth = {"Authorization": "Bearer t0k"}
    with background_server(application) as base:
        with httpx.stream("GET", f"{base}/alerts/stream", headers=auth, timeout=httpx.Timeout(10, read=5)) as r:
            assert r.status_code == 200 and r.headers["content-type"].startswith("text/event-stream")
            lines = r.iter_lines()
            assert sse_events(lines) == {"retry": "2000"}  # connected: only what comes from now on follows
            t0 = time.monotonic()
            with AlertStore(out) as store:
                [new] = record(store, "s9", 10, scene_idents("s9", 1))
            event = sse_events(lines)
            assert time.monotonic() - t0 < 5
            assert event["event"] == "alert" and event["id"] == "6"
            assert json.loads(event["data"]) == new
        # a client that lost the stream resumes after its last event id and gets what it missed
        with httpx.stream(
            "GET", f"{base}/alerts/stream", headers={**auth, "Last-Event-ID": "4"}, timeout=httpx.Timeout(10, read=5)
        ) as r:
            lines = r.iter_lines()
            sse_events(lines)
            got = [sse_events(lines) for _ in range(2)]
            assert [e["id"] for e in got] == ["5", "6"]
            assert [json.loads(e["data"])["alert_id"] for e in got] == [a["alert_id"] for a in stored_alerts(out)[4:]]
        assert httpx.get(f"{base}/alerts/stream").status_code == 401
        assert httpx.head(f"{base}/alerts/stream", headers=auth).status_code == 200
    assert application.state.streams["open"] == 0


def test_the_report_is_served_as_the_report_command_writes_it(client: TestClient, out: Path):
    from tankerwatch.inference.report import load_run, render_report

    page = client.get("/report")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert "Alerts (5)" in page.text
    assert page.text.split("written")[0] == render_report(load_run(out)).split("written")[0]
