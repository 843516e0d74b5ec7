"""Running a composed server under uvicorn until Ctrl+C, with the banner that says where
it answers; shared by ``parley run`` and ``parley serve``."""

from __future__ import annotations

import shlex
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.text import Text

from parley.cli import console
from parley.settings import Settings

if TYPE_CHECKING:
    from parley.bootstrap.server import Role

HostOption = Annotated[
    str | None,
    typer.Option("--host", help="Address to listen on.  \\[default: server.host]"),
]
PortOption = Annotated[
    int | None,
    typer.Option("--port", "-p", min=1, max=65535, help="Port to listen on.  \\[default: 5005]"),
]
AccessLogOption = Annotated[bool, typer.Option("--access-log", help="Log every HTTP request.")]


def address_overrides(host: str | None, port: int | None) -> dict[str, str]:
    """The settings ``--host`` and ``--port`` override (those given)."""
    overrides: dict[str, str] = {}
    if host is not None:
        overrides["server.host"] = host
    if port is not None:
        overrides["server.port"] = str(port)
    return overrides


def serve(
    settings: Settings,
    *,
    environ: Mapping[str, str],
    role: Role,
    project_dir: Path | None = None,
    access_log: bool = False,
    headline: Text,
) -> None:
    """Compose the server of ``role`` from ``settings`` and serve it until stopped."""
    # Imported only now: the web stack, the database and the engine are for serving alone,
    # and `parley --help` must stay quick.
    import uvicorn  # noqa: PLC0415

    from parley.bootstrap.server import server  # noqa: PLC0415
    from parley.cli.endpoints import project_credentials, project_endpoints  # noqa: PLC0415
    from parley.ops.logging import configure_logging  # noqa: PLC0415

    configure_logging(
        settings.logging.level.value, settings.logging.format.value, settings.logging.log_dir
    )
    credentials = project_credentials(project_dir) or {}
    composed = server(
        settings,
        endpoints=project_endpoints(project_dir),
        environ=environ,
        socketio=credentials.get("socketio") or {},
        role=role,
    )
    try:
        base = f"http://{_display_host(settings.server.host)}:{settings.server.port}"
        _print_banner(
            base,
            headline,
            composed.environments.names,
            composed.auth_token,
            generated=composed.token_generated,
        )
        config = uvicorn.Config(
            composed.app,
            host=settings.server.host,
            port=settings.server.port,
            log_config=None,
            access_log=access_log,
            timeout_graceful_shutdown=10,
        )
        uvicorn.Server(config).run()
    finally:
        composed.close()


def _display_host(host: str) -> str:
    return "127.0.0.1" if host in {"0.0.0.0", "::", ""} else host


def _print_banner(
    base: str, headline: Text, environments: list[str], token: str, *, generated: bool
) -> None:
    out = console.stdout()
    out.print(Text.assemble(headline, f" at {base}"))
    rows = [
        ("REST channel", f"POST {base}/webhooks/rest/webhook"),
        ("socket.io (rasa-webchat)", f"{base}  (path /socket.io)"),
        ("Rasa HTTP API", f"{base}/conversations/SENDER/tracker?token=…  ({base}/docs)"),
        ("environments", f"{', '.join(environments)}  (?environment=NAME)"),
        ("health, readiness, metrics", f"{base}/health  {base}/ready  {base}/metrics"),
    ]
    for name, where in rows:
        out.print(f"  {name:<27} {where}", markup=False, highlight=False)
    where = "made for this start" if generated else "from PARLEY_AUTH_TOKEN"
    out.print(f"  {'API token (' + where + ')':<27} {token}", markup=False, highlight=False)
    example = (
        f"curl -s {base}/webhooks/rest/webhook -H 'Content-Type: application/json' -d "
        + shlex.quote('{"sender": "me", "message": "hi"}')
    )
    out.print(f"  Try: {example}", markup=False, highlight=False)
    out.print("Press Ctrl+C to stop.", highlight=False)
