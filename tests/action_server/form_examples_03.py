"""Custom action of ``rasa-3x-form-examples/03-conditions``: the same ``action_say_shirt_size``
as 02-slots (see ``form_examples_02``)."""

from __future__ import annotations

from form_examples_02 import ActionSayShirtSize

__all__ = ["ActionSayShirtSize"]
