"""Which :class:`Action` a name stands for: a default action, a form, a response, a
retrieval response, an end-to-end bot text, or a custom action on the action server."""

from __future__ import annotations

from parley.core.domain import Domain
from parley.core.tracker import ACTION_LISTEN, ACTION_SESSION_START
from parley.dialogue.actions import (
    ACTION_BACK,
    ACTION_DEACTIVATE_LOOP,
    ACTION_DEFAULT_ASK_AFFIRMATION,
    ACTION_DEFAULT_ASK_REPHRASE,
    ACTION_DEFAULT_FALLBACK,
    ACTION_EXTRACT_SLOTS,
    ACTION_RESTART,
    ACTION_REVERT_FALLBACK_EVENTS,
    ACTION_TWO_STAGE_FALLBACK,
    ACTION_UNLIKELY_INTENT,
    Action,
    ActionBack,
    ActionDeactivateLoop,
    ActionDefaultAskAffirmation,
    ActionDefaultAskRephrase,
    ActionDefaultFallback,
    ActionListen,
    ActionRestart,
    ActionRevertFallbackEvents,
    ActionSessionStart,
    ActionTwoStageFallback,
    ActionUnlikelyIntent,
    ResponseAction,
    RetrievalAction,
    TextAction,
)
from parley.dialogue.form import FormAction
from parley.dialogue.remote_action import RemoteAction
from parley.dialogue.slot_extraction import ActionExtractSlots
from parley.errors import ActionError

_DEFAULTS: dict[str, type[Action]] = {
    ACTION_LISTEN: ActionListen,
    ACTION_RESTART: ActionRestart,
    ACTION_SESSION_START: ActionSessionStart,
    ACTION_DEFAULT_FALLBACK: ActionDefaultFallback,
    ACTION_DEACTIVATE_LOOP: ActionDeactivateLoop,
    ACTION_REVERT_FALLBACK_EVENTS: ActionRevertFallbackEvents,
    ACTION_DEFAULT_ASK_AFFIRMATION: ActionDefaultAskAffirmation,
    ACTION_DEFAULT_ASK_REPHRASE: ActionDefaultAskRephrase,
    ACTION_TWO_STAGE_FALLBACK: ActionTwoStageFallback,
    ACTION_UNLIKELY_INTENT: ActionUnlikelyIntent,
    ACTION_BACK: ActionBack,
    ACTION_EXTRACT_SLOTS: ActionExtractSlots,
}


class ActionLookup:
    def __init__(self, domain: Domain) -> None:
        self.domain = domain
        self._forms = set(domain.form_names)
        self._custom = set(domain.action_names)
        self._texts = set(domain.e2e_actions)
        self._retrieval = {name.split("/", 1)[0] for name in domain.responses if "/" in name}
        self._cache: dict[str, Action] = {}

    def names(self) -> list[str]:
        return sorted(
            {*_DEFAULTS, *self._forms, *self._custom, *self.domain.responses, *self._retrieval}
        )

    def get(self, name: str) -> Action:
        action = self._cache.get(name)
        if action is None:
            action = self._create(name)
            self._cache[name] = action
        return action

    def _create(self, name: str) -> Action:
        # Rasa's order: a custom action may replace a default one (a custom
        # `action_session_start`, say); `utter_` names are responses.
        if name in _DEFAULTS and name not in self._custom:
            return _DEFAULTS[name](name)
        if name in self._retrieval:
            return RetrievalAction(name)
        if name in self._texts:
            return TextAction(name)
        if name.startswith("utter_") and name in self.domain.responses:
            return ResponseAction(name)
        if name in self._forms and name not in self._custom:
            return FormAction(name)
        if name in self._custom:
            return RemoteAction(name)
        if name in self.domain.responses:
            return ResponseAction(name)
        valid = ", ".join(self.names())
        raise ActionError(
            f"action {name!r} is not in the domain; add it under `actions:` (custom action) "
            f"or `responses:` in domain.yml. Known actions: {valid}"
        )
