"""``parley environments``: which model each environment of a running server serves (the one
carrying the environment's name as a tag)."""

from __future__ import annotations

from typing import Annotated, Any

import typer
from rich.text import Text

from parley.cli import console
from parley.cli.api import JsonOption, TokenOption, UrlOption, connect


def environments(
    ctx: typer.Context,
    *,
    project: Annotated[
        str | None,
        typer.Option(
            "--project",
            metavar="NAME",
            help="The project on the server.  \\[default: the one it serves]",
            show_default=False,
        ),
    ] = None,
    output_json: JsonOption = False,
    url: UrlOption = None,
    token: TokenOption = None,
) -> None:
    """Show each environment and the model it serves; `parley models tag MODEL ENVIRONMENT`
    changes it."""
    with connect(ctx, url, token) as api:
        params = {"project": project} if project else {}
        found: list[dict[str, Any]] = api.json("GET", "api/environments", params=params)
    if output_json:
        console.print_json(found)
        return
    table = console.listing()
    table.add_column("Environment", style="bold cyan", no_wrap=True)
    table.add_column("Model", overflow="fold")
    table.add_column("Hash", style="dim", no_wrap=True)
    for environment in found:
        model = environment.get("model")
        if model:
            table.add_row(
                str(environment.get("name", "")),
                Text(str(model.get("model", "")), style="bold"),
                str(model.get("hash", ""))[:12],
            )
        else:
            table.add_row(
                str(environment.get("name", "")), Text("no model", style="dim italic"), ""
            )
    console.stdout().print(table)


def register(app: typer.Typer) -> None:
    app.command("environments")(environments)
