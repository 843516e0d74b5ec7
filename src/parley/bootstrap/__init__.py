"""The composition root: the one place that picks which implementation of each outside
service the engine gets, from the installation's settings.

The engine only knows the protocols of :mod:`parley.core.ports`; commands, the server and
workers ask this module for a ready :class:`~parley.nlu.component.ComponentContext`.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from parley.clients.action_server import HttpActionClient
from parley.clients.duckling import HttpDuckling
from parley.core.ports import Duckling
from parley.errors import ConfigurationError
from parley.nlu.component import ComponentContext
from parley.settings import Settings
from parley.settings.urls import UrlRule

if TYPE_CHECKING:
    from parley.models.loading import LoadedModel
    from parley.training.result import TrainingResult


def duckling(settings: Settings) -> Duckling | None:
    """The Duckling server of ``settings.duckling.url``; None (Duckling in-process) when unset."""
    if settings.duckling.url is None:
        return None
    return HttpDuckling(str(settings.duckling.url), timeout=settings.duckling.timeout)


def nlu_context(
    settings: Settings,
    *,
    language: str = "en",
    seed: int = 0,
    progress: Callable[[str, float], None] | None = None,
) -> ComponentContext:
    """What NLU components are built with: the project's ``language``, the training
    ``seed``, a ``progress`` callback, and the outside services the settings name."""
    return ComponentContext(
        language=language, seed=seed, duckling=duckling(settings), progress=progress
    )


_ACTION_ENDPOINT = "endpoints.yml `action_endpoint`"
_VARIABLE = re.compile(r"\$\{([^}]*)\}")
_WEBHOOK_URL = UrlRule(("http", "https"))


def action_client(
    settings: Settings, endpoints: Mapping[str, Any] | None, *, environ: Mapping[str, str]
) -> HttpActionClient | None:
    """The action server custom actions run on: ``settings.actions.endpoint`` when set,
    otherwise ``endpoints`` (a project's ``endpoints.yml`` as written) ``action_endpoint``
    with its ``url``, ``token``, ``token_name``, ``params``, ``headers`` and ``basic_auth``
    (``username``, ``password``), as Rasa reads them; its other keys are ignored, as Rasa
    ignores them. None when neither names one (an ``action_endpoint`` whose ``url`` is
    missing or empty names none, as in Rasa).

    ``${VAR}`` in ``action_endpoint``'s values is replaced from ``environ`` (the environment
    Parley started with; never read here). An unset variable, or an ``action_endpoint`` that
    is not what Rasa accepts, raises :class:`ConfigurationError`.
    """
    timeout = settings.actions.timeout
    if settings.actions.endpoint is not None:
        return HttpActionClient(str(settings.actions.endpoint), timeout=timeout)
    section = (endpoints or {}).get("action_endpoint")
    if section is None:
        return None
    if not isinstance(section, Mapping):
        raise ConfigurationError(
            f"{_ACTION_ENDPOINT} must be a mapping with a `url`, e.g. "
            "`action_endpoint: {url: http://localhost:5055/webhook}`"
        )
    endpoint = _resolved(section, environ, "action_endpoint")
    url = endpoint.get("url")
    if url is None or (isinstance(url, str) and not url.strip()):
        return None  # no `url`, or left empty: Rasa loads it and has no action server either
    try:
        url = _WEBHOOK_URL(_text(url, "url"))
    except ValueError as error:
        raise ConfigurationError(f"{_ACTION_ENDPOINT} `url` {url!r} is wrong: {error}") from None
    token = endpoint.get("token")
    return HttpActionClient(
        url,
        timeout=timeout,
        token=None if token is None else _text(token, "token"),
        token_name=_text(endpoint.get("token_name") or "token", "token_name"),
        params=_text_mapping(endpoint.get("params"), "params"),
        headers=_text_mapping(endpoint.get("headers"), "headers"),
        basic_auth=_basic_auth(endpoint.get("basic_auth")),
    )


def _resolved(value: Any, environ: Mapping[str, str], where: str) -> Any:
    """``value`` with every ``${VAR}`` in its text replaced from ``environ``."""
    if isinstance(value, str):

        def variable(match: re.Match[str]) -> str:
            name = match.group(1)
            if name not in environ:
                raise ConfigurationError(
                    f"endpoints.yml `{where}` uses the environment variable {name!r}, which "
                    f"is not set; set {name} before starting Parley, or write the value in "
                    "endpoints.yml"
                )
            return environ[name]

        return _VARIABLE.sub(variable, value)
    if isinstance(value, Mapping):
        return {key: _resolved(item, environ, f"{where}.{key}") for key, item in value.items()}
    if isinstance(value, list):
        return [_resolved(item, environ, where) for item in value]
    return value


def _text(value: Any, key: str) -> str:
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise ConfigurationError(
            f"{_ACTION_ENDPOINT} `{key}` must be text, not {type(value).__name__}"
        )
    return str(value)


def _text_mapping(value: Any, key: str) -> dict[str, str] | None:
    if value is None:
        return None
    if not isinstance(value, Mapping):
        raise ConfigurationError(
            f"{_ACTION_ENDPOINT} `{key}` must be a mapping of names to values, "
            f"not {type(value).__name__}"
        )
    return {str(name): _text(item, f"{key}.{name}") for name, item in value.items()}


def _basic_auth(value: Any) -> tuple[str, str] | None:
    if value is None:
        return None
    if not isinstance(value, Mapping) or not {"username", "password"} <= value.keys():
        raise ConfigurationError(
            f"{_ACTION_ENDPOINT} `basic_auth` must be a mapping with `username` and `password`"
        )
    return (
        _text(value["username"], "basic_auth.username"),
        _text(value["password"], "basic_auth.password"),
    )


def train(
    project: Path | str,
    out: Path | str | None = None,
    *,
    settings: Settings | None = None,
    seed: int = 0,
    force: bool = False,
    nlu_only: bool = False,
    progress: Callable[[str, float], None] | None = None,
) -> TrainingResult:
    """Train the project folder ``project`` (NLU and dialogue; only the NLU with
    ``nlu_only``) into ``out`` (default ``<project>/models``); a model of the same data and
    config already there is reused unless ``force``. ``progress`` is called with (step,
    fraction done) as training goes. Raises :class:`ProjectError` listing every error of an
    invalid project."""
    from parley.project import load_project  # noqa: PLC0415
    from parley.training.model import train_model  # noqa: PLC0415

    root = Path(project)
    loaded = load_project(root)
    context = nlu_context(
        settings or Settings(),
        seed=seed,
        language=loaded.config.language or "en",
        progress=progress,
    )
    return train_model(
        loaded,
        Path(out) if out is not None else root / "models",
        context=context,
        force=force,
        nlu_only=nlu_only,
    )


def load_model(path: Path | str, *, settings: Settings | None = None) -> LoadedModel:
    """The trained model at ``path``, its outside services (Duckling) as ``settings`` name
    them; ``load_model(path).agent(action_client=…)`` converses with it."""
    from parley.models.loading import load_model as load  # noqa: PLC0415

    return load(Path(path), nlu_context(settings or Settings()))
