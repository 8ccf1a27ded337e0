"""`tankerwatch serve`: a read-only HTTP feed of a run's alerts, visits, vessels and chips (uvicorn)."""

from __future__ import annotations

import ipaddress
from pathlib import Path

import click

from tankerwatch.schema import TankerwatchError


def _is_loopback(host: str) -> bool:
    """Whether host names this machine only (a name other than localhost counts as reachable)."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


@click.command("serve")
@click.argument("out_dir", metavar="OUT", type=click.Path(file_okay=False, path_type=Path))
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to bind (0.0.0.0: every interface).")
@click.option("--port", type=click.IntRange(1, 65535), default=8080, show_default=True, help="TCP port.")
@click.option(
    "--token",
    envvar="TANKERWATCH_FEED_TOKEN",
    default=None,
    show_envvar=True,
    help="Require `Authorization: Bearer TOKEN` on every route but /health.",
)
@click.option(
    "--log-level",
    type=click.Choice(["critical", "error", "warning", "info", "debug"]),
    default="info",
    show_default=True,
    help="uvicorn's log level (info logs each request).",
)
def serve(out_dir: Path, host: str, port: int, token: str | None, log_level: str) -> None:
    """Serve OUT's alert store as a read-only HTTP feed while batches write to it.

    Routes (GET only): /alerts?after=CURSOR&limit=N (pages in order; pass back `next`),
    /alerts/stream (Server-Sent Events of new alerts, event id = cursor), /alerts/ID,
    /visits?port=&imo=&after=&limit=, /vessels/IMO, /chips/ID.png, /health, /openapi.json.
    The store is opened read-only; nothing is ever written.

    \b
    Example:
      tankerwatch serve demo-out                          # http://127.0.0.1:8080
      curl 'http://127.0.0.1:8080/alerts?after=0&limit=50'
      curl -N http://127.0.0.1:8080/alerts/stream
      TANKERWATCH_FEED_TOKEN=s3cret tankerwatch serve out/ --host 0.0.0.0 --port 9000
      curl -H 'Authorization: Bearer s3cret' http://HOST:9000/alerts
    """
    try:
        import uvicorn

        from tankerwatch.inference.serve import app, uvicorn_config
    except ImportError as e:
        raise TankerwatchError(f"serve needs starlette and uvicorn ({e}); pip install starlette uvicorn") from None

    application = app(out_dir, token=token)
    if token is None and not _is_loopback(host):
        click.echo(
            f"warning: serving {out_dir} on {host} without a token: anyone who reaches port {port} reads the feed "
            "(give --token or TANKERWATCH_FEED_TOKEN)",
            err=True,
        )
    click.echo(f"serving {out_dir} read-only on http://{host}:{port} (OpenAPI: /openapi.json; Ctrl-C stops)", err=True)
    try:
        uvicorn.Server(uvicorn_config(application, host, port, log_level)).run()
    except OSError as e:
        raise TankerwatchError(f"cannot serve on {host}:{port}: {e}") from None
