"""``parley models``: the models of a running server. ``load`` replaces the served model with
Rasa's ``PUT /model``; the others manage the registry through the platform API
(``/api/projects/{project}/models``), where a tag that is an environment's name makes that
environment serve the model."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.text import Text

from parley.cli import console, report
from parley.cli.api import (
    JsonOption,
    ProjectOption,
    TokenOption,
    UrlOption,
    connect,
    segment,
    size,
    when,
)
from parley.cli.model_files import model_path
from parley.models.artifact import ARTIFACT_SUFFIX

models_app = typer.Typer(
    name="models",
    help="Manage the models of a running server: list, upload, download, tag, delete, load.",
    no_args_is_help=True,
    rich_markup_mode="rich",
)

ModelArgument = Annotated[
    str, typer.Argument(metavar="MODEL", help="The model's name.", show_default=False)
]
TagArgument = Annotated[
    str,
    typer.Argument(
        metavar="TAG",
        help="The tag; the model tagged with an environment's name is the one it serves.",
        show_default=False,
    ),
]


def _models(project: str) -> str:
    return f"api/projects/{segment(project)}/models"


@models_app.command("list")
def list_models(
    ctx: typer.Context,
    *,
    project: ProjectOption = "default",
    output_json: JsonOption = False,
    url: UrlOption = None,
    token: TokenOption = None,
) -> None:
    """List the project's models, newest first, with their tags."""
    with connect(ctx, url, token) as api:
        records: list[dict[str, Any]] = api.json("GET", _models(project))
    if output_json:
        console.print_json(records)
        return
    if not records:
        console.stdout().print(
            f"No models in project {project!r}; train one with `parley train --remote URL`, or "
            "upload one with `parley models upload FILE`."
        )
        return
    table = console.listing()
    table.add_column("Name", style="bold", no_wrap=True)
    table.add_column("Tags", style="cyan", no_wrap=True)
    # The name is what the other commands take, so it stays whole; the rest may wrap.
    table.add_column("Created", min_width=10)
    table.add_column("Trained by", min_width=8, overflow="fold")
    table.add_column("Size", justify="right", no_wrap=True)
    table.add_column("Hash", style="dim", no_wrap=True)
    for record in records:
        table.add_row(
            str(record.get("model", "")),
            "\n".join(record.get("tags") or ()),
            when(record.get("created")),
            str(record.get("trained_by", "")),
            size(int(record.get("size") or 0)),
            str(record.get("hash", ""))[:12],
        )
    console.stdout().print(table)


@models_app.command("upload")
def upload(
    ctx: typer.Context,
    *,
    file: Annotated[
        Path,
        typer.Argument(
            metavar="FILE",
            help="A model file, or a project folder (its newest model).",
            show_default=False,
        ),
    ],
    name: Annotated[
        str | None,
        typer.Option(
            "--name",
            metavar="NAME",
            help="The model's name on the server.  \\[default: the file's name]",
            show_default=False,
        ),
    ] = None,
    project: ProjectOption = "default",
    url: UrlOption = None,
    token: TokenOption = None,
) -> None:
    """Add a model file to the project's models."""
    path = model_path(file)
    with connect(ctx, url, token) as api, path.open("rb") as content:
        record = api.json(
            "POST",
            _models(project),
            expect=(201,),
            files={"model": (path.name, content, "application/gzip")},
            data={"name": name} if name else {},
        )
    console.stdout().print(
        Text.assemble(
            ("Uploaded ", "bold green"),
            (report.display_path(path), "bold"),
            f" to project {project!r} as ",
            (str(record.get("model", name)), "bold"),
            f" (hash {str(record.get('hash', ''))[:12]})",
        )
    )


@models_app.command("download")
def download(
    ctx: typer.Context,
    *,
    model: ModelArgument,
    output: Annotated[
        Path | None,
        typer.Option(
            "--output",
            "-o",
            metavar="PATH",
            help="The file to write, or a folder to write MODEL.tar.gz into.  "
            "\\[default: ./MODEL.tar.gz]",
            show_default=False,
        ),
    ] = None,
    project: ProjectOption = "default",
    url: UrlOption = None,
    token: TokenOption = None,
) -> None:
    """Download a model file."""
    target = output or Path(f"{model}{ARTIFACT_SUFFIX}")
    if target.is_dir():
        target = target / f"{model}{ARTIFACT_SUFFIX}"
    with connect(ctx, url, token) as api:
        written = api.download(f"{_models(project)}/{segment(model)}", target)
    console.stdout().print(
        Text.assemble(
            ("Downloaded ", "bold green"),
            (model, "bold"),
            f" ({size(written)}) to ",
            (report.display_path(target), "bold"),
        )
    )


def _tag_command(method: str, done: str, joint: str) -> Callable[..., None]:
    """``tag`` (PUT) and ``untag`` (DELETE): one request on the model's tag, said as
    ``<done> MODEL<joint>TAG``."""

    def command(
        ctx: typer.Context,
        *,
        model: ModelArgument,
        tag: TagArgument,
        project: ProjectOption = "default",
        url: UrlOption = None,
        token: TokenOption = None,
    ) -> None:
        with connect(ctx, url, token) as api:
            api.request(
                method, f"{_models(project)}/{segment(model)}/tags/{segment(tag)}", expect=(204,)
            )
        console.stdout().print(
            Text.assemble((f"{done} ", "bold green"), (model, "bold"), joint, (tag, "bold cyan"))
        )

    return command


models_app.command("tag", help="Put TAG on MODEL, taking it off the model that had it.")(
    _tag_command("PUT", "Tagged", " with ")
)
models_app.command("untag", help="Take TAG off MODEL.")(_tag_command("DELETE", "Untagged", ": "))


@models_app.command("delete")
def delete(
    ctx: typer.Context,
    *,
    model: ModelArgument,
    project: ProjectOption = "default",
    url: UrlOption = None,
    token: TokenOption = None,
) -> None:
    """Delete MODEL and its file; a tagged model is refused until it is untagged."""
    with connect(ctx, url, token) as api:
        api.request("DELETE", f"{_models(project)}/{segment(model)}", expect=(204,))
    console.stdout().print(
        Text.assemble(("Deleted ", "bold green"), (model, "bold"), f" from project {project!r}")
    )


@models_app.command("load")
def load(
    ctx: typer.Context,
    *,
    model: Annotated[
        Path,
        typer.Argument(
            metavar="MODEL",
            help="A model file, or a project folder (its newest model).",
            show_default=False,
        ),
    ],
    url: UrlOption = None,
    token: TokenOption = None,
    timeout: Annotated[
        float, typer.Option("--timeout", min=1, help="Seconds to wait for the server.")
    ] = 120.0,
) -> None:
    """Make a running server serve MODEL; turns in progress finish on the old model."""
    file = model_path(model).resolve()
    with connect(ctx, url, token, timeout=timeout) as api:
        api.request("PUT", "model", expect=(204,), json={"model_file": str(file)})
        base = api.base
    console.stdout().print(
        Text.assemble(
            ("Serving ", "bold green"), (report.display_path(file), "bold"), f" at {base}"
        )
    )


def register(app: typer.Typer) -> None:
    app.add_typer(models_app)
