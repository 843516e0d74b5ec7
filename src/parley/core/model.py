"""The base every value type of Parley's vocabulary derives from."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict


class Model(BaseModel):
    """A validated value: unknown fields are refused and assignments are checked.

    Equality is structural, which is what the project round-trip tests rely on.
    """

    model_config = ConfigDict(
        extra="forbid",
        validate_assignment=True,
        coerce_numbers_to_str=True,
        use_enum_values=False,
    )
