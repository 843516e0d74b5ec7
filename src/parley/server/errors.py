"""Error answers in Rasa's body format, for every route and every failure:

``{"version", "status": "failure", "message", "reason", "details", "help", "code"}``

:class:`ApiError` is what routes raise; the handlers installed by :func:`install` turn it,
request validation failures, Parley's own errors and anything unexpected into that body,
so a client never sees a traceback nor a different shape.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from starlette.exceptions import HTTPException

from parley.errors import (
    ConfigurationError,
    ConflictError,
    EventError,
    ModelError,
    NoModelError,
    NotFoundError,
    ParleyError,
    PermissionDeniedError,
    ProjectError,
    StorageError,
    UnknownNameError,
)
from parley.version import __version__

logger = logging.getLogger(__name__)


class ErrorBody(BaseModel):
    version: str
    status: str = "failure"
    message: str
    reason: str
    details: dict[str, Any] = {}
    help: str | None = None
    code: int


_REASONS = {
    400: "BadRequest",
    401: "NotAuthenticated",
    403: "NotAuthorized",
    404: "NotFound",
    405: "MethodNotAllowed",
    409: "Conflict",
    413: "PayloadTooLarge",
    415: "UnsupportedMediaType",
    422: "ValidationError",
    500: "InternalError",
    503: "ServiceUnavailable",
}


class ApiError(Exception):
    def __init__(
        self,
        code: int,
        message: str,
        *,
        reason: str | None = None,
        details: dict[str, Any] | None = None,
        help: str | None = None,
    ) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.reason = reason or _REASONS.get(code, "Error")
        self.details = details or {}
        self.help = help


def error_response(
    code: int,
    message: str,
    *,
    reason: str | None = None,
    details: dict[str, Any] | None = None,
    help: str | None = None,
    headers: Mapping[str, str] | None = None,
) -> JSONResponse:
    body = ErrorBody(
        version=__version__,
        message=message,
        reason=reason or _REASONS.get(code, "Error"),
        details=details or {},
        help=help,
        code=code,
    )
    return JSONResponse(body.model_dump(), status_code=code, headers=headers)


def responses(*codes: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI ``responses`` entries for the error codes a route may answer."""
    return {
        code: {"model": ErrorBody, "description": _REASONS.get(code, "Error")} for code in codes
    }


async def _api_error(request: Request, error: Exception) -> JSONResponse:
    assert isinstance(error, ApiError)
    return error_response(
        error.code, error.message, reason=error.reason, details=error.details, help=error.help
    )


async def _validation_error(request: Request, error: Exception) -> JSONResponse:
    assert isinstance(error, RequestValidationError)
    problems = [_problem(item) for item in error.errors()]
    if any(p["type"] == "json_invalid" for p in problems):
        return error_response(
            400, "the request body is not valid JSON", details={"errors": problems}
        )
    summary = "; ".join(f"{'.'.join(map(str, p['loc']))}: {p['msg']}" for p in problems)
    return error_response(422, f"the request is not valid: {summary}", details={"errors": problems})


def _problem(item: Any) -> dict[str, Any]:
    # Drop `input` and `ctx`: they may echo megabytes of the body, or hold objects JSON
    # cannot encode.
    return {"type": item.get("type"), "loc": list(item.get("loc", ())), "msg": item.get("msg")}


async def _http_error(request: Request, error: Exception) -> JSONResponse:
    assert isinstance(error, HTTPException)
    return error_response(error.status_code, str(error.detail), headers=error.headers)


async def _parley_error(request: Request, error: Exception) -> JSONResponse:
    if isinstance(error, StorageError):
        logger.error("%s %s: %s", request.method, request.url.path, error)
        return error_response(
            503,
            f"the conversation store is unavailable: {error}",
            headers={"Retry-After": "1"},
        )
    if isinstance(error, NoModelError):
        return error_response(409, str(error), reason="NoModel")
    if isinstance(error, UnknownNameError | NotFoundError):
        return error_response(404, str(error))
    if isinstance(error, ConflictError):
        return error_response(409, str(error))
    if isinstance(error, PermissionDeniedError):
        return error_response(403, str(error))
    if isinstance(error, ModelError | EventError | ConfigurationError | ProjectError):
        return error_response(400, str(error))
    logger.exception("%s %s failed", request.method, request.url.path)
    return error_response(500, f"the server could not answer: {error}")


async def _unexpected(request: Request, error: Exception) -> JSONResponse:
    logger.exception("%s %s failed", request.method, request.url.path, exc_info=error)
    return error_response(500, "the server failed to answer; the error is in its log")


def install(app: FastAPI) -> None:
    app.add_exception_handler(ApiError, _api_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(HTTPException, _http_error)
    app.add_exception_handler(ParleyError, _parley_error)
    app.add_exception_handler(Exception, _unexpected)
