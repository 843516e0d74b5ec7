"""``parley shell``: talk to a trained assistant in the terminal."""

from __future__ import annotations

import json
import uuid
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.text import Text

from parley.cli import console
from parley.cli.config import settings_loader
from parley.cli.model_files import model_path
from parley.cli.report import display_path

PROMPT = "Your input -> "
STOP = "/stop"


def shell(
    ctx: typer.Context,
    *,
    model: Annotated[
        Path,
        typer.Argument(
            metavar="MODEL",
            help="A model file, or a project folder (its newest model in models/).",
        ),
    ] = Path("."),
    debug: Annotated[
        bool,
        typer.Option(
            "--debug",
            help="Show what NLU made of each message (intent, confidence, entities) and "
            "which policy chose each action, with its confidence.",
        ),
    ] = False,
    sender: Annotated[
        str | None,
        typer.Option(
            "--sender",
            metavar="ID",
            help="Conversation id (default: a new one per shell).",
            show_default=False,
        ),
    ] = None,
) -> None:
    """Chat with the assistant in the terminal (see SHELL_HELP)."""
    # Imported here: they bring numpy and the NLU, which `parley --help` must not wait for.
    from parley.bootstrap import nlu_context  # noqa: PLC0415
    from parley.cli.endpoints import project_action_client  # noqa: PLC0415
    from parley.core.events import ActionExecuted, BotUttered  # noqa: PLC0415
    from parley.core.messages import UserMessage  # noqa: PLC0415
    from parley.models.loading import load_model  # noqa: PLC0415

    loader = settings_loader(ctx)
    settings = loader.load()
    archive = model_path(model)
    project_dir = _project_of(archive)
    err = console.stderr()
    with err.status(f"loading {display_path(archive)}"):
        loaded = load_model(archive, nlu_context(settings))
        agent = loaded.agent(action_client=project_action_client(settings, loader, project_dir))
    out = console.stdout()
    err.print(
        Text.assemble(
            ("Chatting with ", "bold green"),
            (display_path(archive), "bold"),
            f". Type {STOP} or press Ctrl-D to end.",
        )
    )
    conversation = sender or f"shell-{uuid.uuid4().hex[:8]}"
    buttons: list[dict[str, Any]] = []
    while True:
        try:
            text = input(PROMPT)
        except EOFError:
            break
        if text.strip() == STOP:
            break
        if not text.strip():
            continue
        text = _button_payload(text.strip(), buttons)
        parsed = agent.parse(text)  # once: shown with --debug, then used for the turn
        if debug:
            _show_parse(parsed, out)
        result = agent.handle_turn(
            UserMessage(
                text=text, sender_id=conversation, input_channel="cmdline", parse_data=parsed
            )
        )
        buttons = []
        for event in result.events:
            if isinstance(event, ActionExecuted) and debug:
                shown = f"{event.confidence:.3f}" if event.confidence is not None else "-"
                out.print(
                    Text(
                        f"  action {event.name or event.action_text} "
                        f"({event.policy or 'no policy'}, {shown})",
                        style="dim",
                    )
                )
            elif isinstance(event, BotUttered):
                message = agent.bot_message(conversation, event)
                buttons = _show_message(message.to_rasa(), out)
    err.print("Bye.")


def _project_of(archive: Path) -> Path | None:
    """The project a model file lies in (``PROJECT/models/x.tar.gz``), for its endpoints."""
    parent = archive.resolve().parent
    return parent.parent if parent.name == "models" else None


def _button_payload(text: str, buttons: list[dict[str, Any]]) -> str:
    """A number typed after the bot showed buttons picks that button."""
    if text.isdigit() and 1 <= int(text) <= len(buttons):
        payload = buttons[int(text) - 1].get("payload")
        return str(payload) if payload else text
    return text


def _show_parse(parse: dict[str, Any], out: Console) -> None:
    intent = parse.get("intent") or {}
    confidence = intent.get("confidence") or 0.0
    entities = ", ".join(
        f"{e.get('entity')}={e.get('value')!r}" for e in parse.get("entities") or []
    )
    line = f"  intent {intent.get('name')} ({confidence:.3f})"
    if entities:
        line += f"; entities {entities}"
    out.print(Text(line, style="dim"))


def _show_message(message: dict[str, Any], out: Console) -> list[dict[str, Any]]:
    if message.get("text"):
        out.print(Text(str(message["text"]), style="bold cyan"))
    if message.get("image"):
        out.print(Text(f"Image: {message['image']}", style="cyan"))
    buttons = list(message.get("buttons") or [])
    for number, button in enumerate(buttons, start=1):
        out.print(
            Text(f"  {number}: {button.get('title')} ({button.get('payload')})", style="cyan")
        )
    for key in ("custom", "attachment", "elements", "quick_replies"):
        if message.get(key) is not None:
            out.print(Text(f"{key}: {json.dumps(message[key], ensure_ascii=False)}", style="cyan"))
    return buttons or []


SHELL_HELP = "\n\n".join(
    [
        "Talk to a trained assistant in the terminal: type a message, read the bot's answer.",
        "Buttons are listed with numbers; type the number to press one. Custom actions run "
        "on the action server of the project's endpoints.yml (or PARLEY_ACTION_ENDPOINT).",
    ]
)


def register(app: typer.Typer) -> None:
    app.command("shell", help=SHELL_HELP)(shell)
