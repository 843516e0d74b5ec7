"""``parley serve``: run one role of a Parley installation, on its database (no project
folder): the whole platform, or a bot server for one environment."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated

import typer
from rich.text import Text

from parley.cli import serving
from parley.cli.config import settings_loader


class RoleOption(StrEnum):
    ALL = "all"
    BOT = "bot"


def serve(
    ctx: typer.Context,
    *,
    role: Annotated[
        RoleOption,
        typer.Option(
            "--role",
            help="all: the platform API, every environment and (without Redis) the training "
            "worker. bot: the conversations of one environment, on the model its tag names.",
        ),
    ] = RoleOption.ALL,
    environment: Annotated[
        str | None,
        typer.Option(
            "--environment",
            "-e",
            help="The environment a bot serves.  \\[default: environments.serve_environment]",
            show_default=False,
        ),
    ] = None,
    host: serving.HostOption = None,
    port: serving.PortOption = None,
    access_log: serving.AccessLogOption = False,
) -> None:
    """Serve a Parley installation from its database (see SERVE_HELP)."""
    loader = settings_loader(ctx)
    overrides = serving.address_overrides(host, port)
    if environment is not None:
        overrides["environments.serve_environment"] = environment
    settings = loader.load(overrides)

    from parley.bootstrap.server import Role  # noqa: PLC0415

    if role is RoleOption.BOT:
        source = str(settings.model_server.url or "the registry in the database")
        headline = Text.assemble(
            ("Serving ", "bold green"),
            (str(settings.environments.serve_environment), "bold"),
            f" (models from {source})",
        )
    else:
        headline = Text.assemble(("Serving ", "bold green"), "the Parley platform")
    serving.serve(
        settings,
        environ=loader.environ,
        role=Role(role.value),
        access_log=access_log,
        headline=headline,
    )


SERVE_HELP = "\n\n".join(
    [
        "Serve a Parley installation from its database, without a project folder.",
        "--role all (the default) serves the platform API (projects, the model registry, "
        "training jobs), the model server (models by tag) and the conversations of every "
        "environment. Without Redis, training jobs run in a child process; with "
        "REDIS_URL, `parley worker` processes run them.",
        "--role bot serves the conversations of one environment (--environment), on the "
        "model its tag names: pulled from PARLEY_MODEL_SERVER_URL every "
        "PARLEY_MODEL_PULL_INTERVAL seconds (If-None-Match), or read from the registry in "
        "the database when no model server is set. A model that fails to download or load "
        "leaves the old one serving.",
    ]
)


def register(app: typer.Typer) -> None:
    app.command("serve", help=SERVE_HELP)(serve)
