"""Rasa's REST channel: ``POST /webhooks/rest/webhook`` with ``{sender, message, metadata}``
answers the list of the bot's messages (``recipient_id``, ``text``, ``buttons``, ``image``,
``custom``…), exactly as Rasa's does."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field

from parley.channels.channel import Conversations
from parley.core.messages import MAX_TEXT_LENGTH, UserMessage

CHANNEL = "rest"


class RestMessage(BaseModel):
    model_config = ConfigDict(extra="ignore")

    sender: str = Field(
        default="default",
        min_length=1,
        max_length=255,
        description="The conversation id; each sender has its own conversation.",
    )
    message: str = Field(max_length=MAX_TEXT_LENGTH, description="What the user wrote.")
    metadata: dict[str, Any] | None = Field(
        default=None, description="Passed on to custom actions with the message."
    )


class BotReply(BaseModel):
    """One message of the bot; rich parts appear only when the response has them."""

    model_config = ConfigDict(extra="allow")

    recipient_id: str
    text: str | None = None
    buttons: list[dict[str, Any]] | None = None
    image: str | None = None
    custom: Any = None


class ChannelStatus(BaseModel):
    status: str = "ok"


def router(conversations: Conversations, *, error_responses: dict[int | str, Any]) -> APIRouter:
    """The REST channel's routes, answering through ``conversations``."""
    routes = APIRouter(prefix="/webhooks/rest", tags=["channels"])

    @routes.get("/", summary="The REST channel is up")
    async def status() -> ChannelStatus:
        return ChannelStatus()

    @routes.post(
        "/webhook",
        summary="Send a user message; get the bot's messages",
        response_model=list[BotReply],
        response_model_exclude_none=True,
        responses=error_responses,
    )
    async def webhook(
        body: RestMessage,
        environment: Annotated[
            str | None,
            Query(max_length=64, description="The deployment environment (default production)."),
        ] = None,
    ) -> JSONResponse:
        message = UserMessage(
            text=body.message,
            sender_id=body.sender,
            metadata=body.metadata or {},
            input_channel=CHANNEL,
            environment=environment,
        )
        replies = await conversations.handle(message)
        # Rendered directly: the replies are already checked BotMessages, and validating
        # them again against the documented model would cost every turn.
        return JSONResponse([reply.to_rasa() for reply in replies])

    return routes
