"""Where each part of a project was written, so a finding about it can point at the file.

Locations are keyed by the part's path inside the :class:`~parley.project.project.Project`
model, exactly as pydantic would address it: ``("domain", "intents", 3)``,
``("stories", 5, "steps", 2)``, ``("nlu", "examples", 17)``,
``("domain", "responses", "utter_greet")``, ``("tests", "stories", 0)``. A lookup falls
back to the longest known prefix, so a finding about any part of a story at least points
at the story.
"""

from __future__ import annotations

from parley.core.problem import Location

ModelPath = tuple[str | int, ...]


class SourceMap:
    def __init__(self) -> None:
        self._locations: dict[ModelPath, Location] = {}

    def add(self, path: ModelPath, location: Location) -> None:
        self._locations.setdefault(path, location)

    def locate(self, path: ModelPath) -> Location | None:
        for end in range(len(path), 0, -1):
            location = self._locations.get(path[:end])
            if location is not None:
                return location
        return None

    def __len__(self) -> int:
        return len(self._locations)
