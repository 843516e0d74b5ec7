"""Every exception Parley raises on purpose.

Catch :class:`ParleyError` to handle all of them. The tree::

    ParleyError
    ├── ConfigurationError        a setting is missing, malformed or unknown
    ├── ProjectError              a project cannot be read, or it is invalid
    │   ├── ProjectExistsError    the folder for a new project is not empty, or is a file
    │   └── ProjectNotFoundError  the folder or a file the project needs is not there
    ├── UnknownNameError          a name (component, policy, channel, …) is not registered
    ├── NotFoundError             a project, model, job or environment does not exist
    ├── ConflictError             the request contradicts what is stored (a name taken, …)
    ├── PermissionDeniedError     the caller lacks the permission a write needs
    ├── ModelError                a model artifact is corrupt, unsafe, or cannot be used here
    │   └── NoModelError          the server has no model loaded, or one that cannot converse
    ├── EventError                an event (Rasa event JSON) is malformed or of an unknown type
    ├── ActionError               an action cannot run: unknown name, or it failed
    │   └── ActionRejectedError        the action server refused to run it (HTTP 400)
    ├── StorageError              the database cannot be reached, or refused a read or write
    └── ServiceError              a service Parley calls did not answer usefully
        ├── DucklingError         Duckling is down, timed out, or cannot use the time zones
        ├── ActionServerError     the action server is down, too slow, or answered nonsense
        └── ModelServerError      the model server is down, refused, or sent no usable model

Each message says what is wrong and how to fix it, naming the valid options where
there is a closed set of them. User-facing commands print the message, never a traceback.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from pathlib import Path

from parley.core.problem import Problem


class ParleyError(Exception):
    """Base of every error Parley raises on purpose."""


class ConfigurationError(ParleyError):
    """A setting is missing, malformed or unknown."""


class ProjectError(ParleyError):
    """A project cannot be read or is invalid; ``problems`` lists every error found."""

    def __init__(self, problems: Iterable[Problem], summary: str | None = None) -> None:
        self.problems: Sequence[Problem] = tuple(problems)
        errors = [p for p in self.problems if p.is_error]
        head = summary or f"the project has {len(errors)} error(s)"
        super().__init__("\n".join([head, *(f"  {p}" for p in errors)]))


class ProjectExistsError(ProjectError):
    """The folder meant for a new project already holds files, or is a file; ``target`` is it."""

    def __init__(self, target: Path, message: str) -> None:
        self.target = target
        super().__init__((), summary=message)


class ProjectNotFoundError(ProjectError):
    """The project folder does not exist, or is not a folder; ``root`` is where it was sought."""

    def __init__(self, root: Path) -> None:
        self.root = root
        if root.is_file():
            fix = f"give the folder that holds it instead: {root.parent}"
        else:
            fix = f"create one with `parley init {root}`"
        super().__init__((), summary=f"{root} is not a project folder; {fix}")


class UnknownNameError(ParleyError, LookupError):
    """A name is not among the registered ones; the message lists the valid names."""

    def __init__(self, kind: str, name: str, valid: Iterable[str]) -> None:
        self.kind = kind
        self.name = name
        self.valid = sorted(valid)
        super().__init__(
            f"unknown {kind} {name!r}; valid {kind}s are: {', '.join(self.valid) or '(none)'}"
        )


class NotFoundError(ParleyError, LookupError):
    """A project, model, job or environment named in a request does not exist; the
    message lists the valid names where there are few enough to list."""

    def __init__(self, kind: str, name: str, valid: Iterable[str] | None = None) -> None:
        self.kind = kind
        self.name = name
        self.valid = sorted(valid) if valid is not None else None
        message = f"no {kind} {name!r}"
        if self.valid is not None:
            message += f"; the {kind}s are: {', '.join(self.valid) or '(none)'}"
        super().__init__(message)


class ConflictError(ParleyError):
    """The request contradicts what is stored: a name already taken, a tagged model to
    delete, a finished job to cancel. The message says how to resolve it."""


class PermissionDeniedError(ParleyError):
    """The caller is authenticated but lacks ``permission``."""

    def __init__(self, permission: str) -> None:
        self.permission = permission
        super().__init__(f"this needs the permission {permission!r}, which the caller lacks")


class ModelError(ParleyError):
    """A model artifact is corrupt, truncated, unsafe, or was made for something else."""


class NoModelError(ModelError):
    """The server has no model loaded (yet), or the loaded one is NLU-only and cannot
    converse."""


class EventError(ParleyError, ValueError):
    """An event is not valid Rasa event JSON (unknown type, missing or mistyped field)."""


class ActionError(ParleyError):
    """An action cannot run: its name is not in the domain, or running it failed."""


class ActionRejectedError(ActionError):
    """The action server answered HTTP 400 ``{action_name, error}``: the action refused to
    run (a form validation that rejects the user's message, typically)."""

    def __init__(self, action_name: str, error: str) -> None:
        self.action_name = action_name
        self.error = error
        super().__init__(f"action {action_name!r} refused to run: {error}")


class StorageError(ParleyError):
    """The database cannot be reached or refused a read or a write. Nothing of the failed
    operation is kept; the server answers 503 and serves again once the database is back.
    Not a :class:`ServiceError`: a turn never goes on without its conversation store."""


class ServiceError(ParleyError):
    """A service Parley calls (Duckling, an action server, …) is down, slow, or answered
    something unusable. Callers on the serving path log it and go on without that service."""


class DucklingError(ServiceError):
    """Duckling could not answer (server down, timeout, unreadable reply, unusable time
    zones). The extractor logs it and goes on without Duckling's entities."""


class ActionServerError(ServiceError):
    """The action server did not answer usefully (refused connection, timeout, an error
    status other than 400, a reply that is not the Rasa SDK's JSON). The conversation goes
    on: the user gets the fallback response and the error is logged."""


class ModelServerError(ServiceError):
    """The model server did not answer usefully (refused connection, timeout, a broken
    transfer, an error status other than 304 and 404, a model without an ETag). The bot goes
    on serving the model it has and tries again at the next pull."""
