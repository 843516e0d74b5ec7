"""``parley models``: manage the models a running server uses (``load`` replaces the
served model with Rasa's ``PUT /model``)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.text import Text

from parley.cli import console, report
from parley.cli.config import settings_loader
from parley.cli.model_files import model_path

models_app = typer.Typer(
    name="models",
    help="Manage the models a running server uses.",
    no_args_is_help=True,
    rich_markup_mode="rich",
)


@models_app.command("load")
def load(
    ctx: typer.Context,
    model: Annotated[
        Path,
        typer.Argument(
            metavar="MODEL",
            help="A model file, or a project folder (its newest model).",
            show_default=False,
        ),
    ],
    url: Annotated[
        str | None,
        typer.Option(
            "--url",
            metavar="URL",
            help="The server.  \\[default: http://127.0.0.1:<server.port>]",
            show_default=False,
        ),
    ] = None,
    token: Annotated[
        str | None,
        typer.Option(
            "--token",
            metavar="TOKEN",
            envvar="PARLEY_AUTH_TOKEN",
            help="The server's API token (the one `parley run` printed).  "
            "\\[default: PARLEY_AUTH_TOKEN]",
            show_default=False,
        ),
    ] = None,
    timeout: Annotated[
        float, typer.Option("--timeout", min=1, help="Seconds to wait for the server.")
    ] = 120.0,
) -> None:
    """Make a running server serve MODEL; turns in progress finish on the old model."""
    settings = settings_loader(ctx).load()
    base = (url or f"http://127.0.0.1:{settings.server.port}").rstrip("/")
    file = model_path(model).resolve()
    if token is None and settings.auth.auth_token is not None:
        token = settings.auth.auth_token.get_secret_value()
    if token is None:
        console.print_error(
            "give the server's API token with --token or PARLEY_AUTH_TOKEN (`parley run` "
            "printed it when it started)"
        )
        raise typer.Exit(2)
    import httpx  # noqa: PLC0415 - only this command talks HTTP; `parley --help` stays quick

    try:
        answer = httpx.put(
            f"{base}/model",
            json={"model_file": str(file)},
            headers={"Authorization": f"Bearer {token}"},
            timeout=timeout,
        )
    except httpx.HTTPError as error:
        console.print_error(
            f"no Parley server answered at {base} ({error}); start one with `parley run`, or "
            "give its address with --url"
        )
        raise typer.Exit(1) from None
    if answer.status_code != 204:
        try:
            message = str(answer.json().get("message", answer.text))
        except ValueError:
            message = answer.text
        console.print_error(f"{base} refused the model (HTTP {answer.status_code}): {message}")
        raise typer.Exit(1)
    console.stdout().print(
        Text.assemble(
            ("Serving ", "bold green"), (report.display_path(file), "bold"), f" at {base}"
        )
    )


def register(app: typer.Typer) -> None:
    app.add_typer(models_app)
