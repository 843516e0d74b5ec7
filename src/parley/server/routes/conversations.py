"""Rasa's conversation endpoints: read a tracker, add messages or events, trigger an
intent, predict and execute actions."""

from __future__ import annotations

from collections.abc import Sequence
from enum import StrEnum
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Body, Query
from pydantic import BaseModel, Field

from parley.agent import Agent, TurnResult
from parley.core.events import Event, events_from_rasa
from parley.core.messages import MAX_TEXT_LENGTH, UserMessage
from parley.server.auth import Authorized
from parley.server.dependencies import BotDep, SenderId
from parley.server.errors import ApiError, responses
from parley.server.inline import run_inline

router = APIRouter(prefix="/conversations", tags=["conversations"], dependencies=[Authorized])


class EventVerbosity(StrEnum):
    ALL = "ALL"
    APPLIED = "APPLIED"
    AFTER_RESTART = "AFTER_RESTART"
    NONE = "NONE"


OutputChannel = Annotated[
    str | None, Query(description="Accepted for Rasa compatibility; answers come back here.")
]

IncludeEvents = Annotated[
    EventVerbosity,
    Query(description="Which events the tracker carries (Rasa's event verbosity)."),
]


class MessageRequest(BaseModel):
    text: str = Field(max_length=MAX_TEXT_LENGTH)
    sender: Literal["user"] = Field(
        default="user", description="Who sent it; only user messages can be added."
    )
    parse_data: dict[str, Any] | None = None
    message_id: str | None = Field(default=None, max_length=255)
    metadata: dict[str, Any] = {}


class IntentRequest(BaseModel):
    name: str = Field(min_length=1, max_length=255)
    entities: dict[str, Any] | None = None


class ActionRequest(BaseModel):
    name: str = Field(min_length=1, max_length=255)
    policy: str | None = None
    confidence: float | None = None


class ActionScore(BaseModel):
    action: str
    score: float


class PredictResponse(BaseModel):
    scores: list[ActionScore]
    policy: str | None
    confidence: float | None
    tracker: dict[str, Any]


class TurnResponse(BaseModel):
    tracker: dict[str, Any]
    messages: list[dict[str, Any]]


def _tracker_json(
    agent: Agent,
    sender_id: str,
    include: EventVerbosity,
    events: Sequence[Event] | None = None,
) -> dict[str, Any]:
    """Rasa's tracker JSON of ``events`` (default: every stored event of the conversation)."""
    if events is None:
        events = agent.tracker_store.retrieve_all(sender_id)
    return agent.dialogue.tracker(sender_id, events).to_rasa(events=include.value.lower())


def _existing(agent: Agent, sender_id: str) -> list[Event]:
    events = agent.tracker_store.retrieve_all(sender_id)
    if not events:
        raise ApiError(404, f"there is no conversation {sender_id!r}")
    return events


def _require_known(kind: str, name: str, valid: Sequence[str]) -> None:
    if name not in valid:
        raise ApiError(
            404,
            f"the {kind} {name!r} is not in the domain; valid {kind}s are: "
            + ", ".join(sorted(valid)),
        )


def _turn_response(agent: Agent, sender_id: str, result: TurnResult) -> TurnResponse:
    return TurnResponse(
        tracker=_tracker_json(agent, sender_id, EventVerbosity.AFTER_RESTART),
        messages=[agent.bot_message(sender_id, e).to_rasa() for e in result.bot_events],
    )


@router.get(
    "/{sender_id}/tracker",
    summary="The conversation's tracker",
    responses=responses(401, 404, 409, 422, 503),
)
async def tracker(
    sender_id: SenderId,
    bot: BotDep,
    include_events: IncludeEvents = EventVerbosity.AFTER_RESTART,
    until: Annotated[
        float | None,
        Query(
            allow_inf_nan=False,
            description="Only events up to this time (seconds since the epoch).",
        ),
    ] = None,
) -> dict[str, Any]:
    def read(agent: Agent) -> dict[str, Any]:
        events = _existing(agent, sender_id)
        if until is not None:
            events = [event for event in events if event.timestamp <= until]
        return _tracker_json(agent, sender_id, include_events, events)

    return await bot.run(read)


@router.post(
    "/{sender_id}/tracker/events",
    summary="Append events to the conversation",
    responses=responses(400, 401, 404, 409, 422, 503),
)
async def append_events(
    sender_id: SenderId,
    bot: BotDep,
    events: Annotated[
        dict[str, Any] | list[dict[str, Any]],
        Body(description="One Rasa event, or a list of them."),
    ],
    include_events: IncludeEvents = EventVerbosity.AFTER_RESTART,
) -> dict[str, Any]:
    parsed = events_from_rasa(events if isinstance(events, list) else [events])

    def append(agent: Agent) -> dict[str, Any]:
        with agent.lock_store.lock(sender_id):
            agent.tracker_store.append(sender_id, parsed)
        return _tracker_json(agent, sender_id, include_events)

    return await bot.run(append)


@router.post(
    "/{sender_id}/messages",
    summary="Add a user message to the conversation, without predicting an answer",
    responses=responses(400, 401, 404, 409, 422, 503),
)
async def add_message(
    sender_id: SenderId,
    request: MessageRequest,
    bot: BotDep,
    include_events: IncludeEvents = EventVerbosity.AFTER_RESTART,
) -> dict[str, Any]:
    message = UserMessage(
        text=request.text,
        sender_id=sender_id,
        metadata=request.metadata,
        input_channel="rest",
        message_id=request.message_id,
        parse_data=request.parse_data,
    )

    def log(agent: Agent) -> dict[str, Any]:
        agent.log_message(message)
        return _tracker_json(agent, sender_id, include_events)

    return await bot.run(log)


@router.post(
    "/{sender_id}/trigger_intent",
    summary="Act as if the user sent an intent, then answer",
    responses=responses(400, 401, 404, 409, 422, 503),
)
async def trigger_intent(
    sender_id: SenderId,
    request: IntentRequest,
    bot: BotDep,
    output_channel: OutputChannel = None,
) -> TurnResponse:
    agent = bot.require_agent()
    _require_known("intent", request.name, agent.domain.intent_names)
    entities = [
        {"entity": name, "value": value} for name, value in (request.entities or {}).items()
    ]
    intent = {"name": request.name, "confidence": 1.0}
    message = UserMessage(
        text=f"/{request.name}",
        sender_id=sender_id,
        input_channel="rest",
        parse_data={
            "text": f"/{request.name}",
            "intent": intent,
            "intent_ranking": [intent],
            "entities": entities,
        },
    )
    agent, result = await bot.turn(message)
    return await run_inline(_turn_response, agent, sender_id, result)


@router.post(
    "/{sender_id}/predict",
    summary="The action the bot would take next (nothing is run or stored)",
    responses=responses(401, 404, 409, 422, 503),
)
async def predict(sender_id: SenderId, bot: BotDep) -> PredictResponse:
    def run(agent: Agent) -> PredictResponse:
        state = agent.dialogue.tracker(sender_id, _existing(agent, sender_id))
        prediction = agent.predict(state)
        return PredictResponse(
            scores=[ActionScore(action=prediction.action, score=prediction.confidence)]
            if prediction
            else [],
            policy=prediction.policy if prediction else None,
            confidence=prediction.confidence if prediction else None,
            tracker=state.to_rasa(events="after_restart"),
        )

    return await bot.run(run)


@router.post(
    "/{sender_id}/execute",
    summary="Run an action now, then let the bot go on until it listens",
    responses=responses(400, 401, 404, 409, 422, 503),
)
async def execute(
    sender_id: SenderId,
    request: ActionRequest,
    bot: BotDep,
    output_channel: OutputChannel = None,
) -> TurnResponse:
    agent = bot.require_agent()
    _require_known("action", request.name, agent.actions.names())

    def run(agent: Agent) -> TurnResponse:
        result = agent.execute(sender_id, request.name, channel="rest")
        return _turn_response(agent, sender_id, result)

    return await bot.run(run)
