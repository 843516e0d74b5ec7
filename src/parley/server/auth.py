"""The shared API token that guards the management endpoints (Rasa's ``--auth-token``),
given as ``?token=`` or ``Authorization: Bearer``. Users and roles replace it with login
tokens in a later issue."""

from __future__ import annotations

import secrets
from collections.abc import Callable
from typing import Annotated, Any

from fastapi import Depends, Query, Request
from fastapi.security import APIKeyQuery, HTTPAuthorizationCredentials, HTTPBearer

from parley.auth.permissions import API_TOKEN, Principal
from parley.server.errors import ApiError

_query = APIKeyQuery(name="token", auto_error=False, description="The API token.")
_bearer = HTTPBearer(auto_error=False, description="The API token as a bearer token.")


def require_token(
    request: Request,
    query_token: Annotated[str | None, Depends(_query)],
    bearer: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Principal:
    expected: str = request.app.state.auth_token
    given = query_token if query_token is not None else (bearer.credentials if bearer else None)
    if given is None:
        raise ApiError(
            401,
            "this endpoint needs the API token: add `?token=TOKEN` or the header "
            "`Authorization: Bearer TOKEN` (the token `parley run` printed, or "
            "PARLEY_AUTH_TOKEN)",
        )
    if not secrets.compare_digest(given.encode(), expected.encode()):
        raise ApiError(401, "the API token is wrong; use the one `parley run` printed")
    return API_TOKEN


Authorized = Depends(require_token)

CallerDep = Annotated[Principal, Depends(require_token)]


def requires(permission: str | Callable[[Request], str]) -> Any:
    """A route dependency: the caller must hold ``permission`` (or the one computed from the
    request, e.g. from a path parameter)."""

    def check(request: Request, caller: CallerDep) -> Principal:
        needed = permission(request) if callable(permission) else permission
        caller.require(needed)
        return caller

    return Depends(check)


__all__ = ["Authorized", "CallerDep", "Query", "require_token", "requires"]
