"""Prometheus metrics."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import Response

from parley.ops.metrics import CONTENT_TYPE
from parley.server.dependencies import BotDep
from parley.server.errors import responses

router = APIRouter(tags=["operations"])


@router.get(
    "/metrics",
    summary="Prometheus metrics: turns, turn latency, NLU fallbacks, action-server errors",
    response_class=Response,
    responses={
        200: {"content": {CONTENT_TYPE.split(";")[0]: {"schema": {"type": "string"}}}},
        **responses(404),
    },
)
async def metrics(bot: BotDep) -> Response:
    return Response(bot.metrics.exposition(), media_type=CONTENT_TYPE)
