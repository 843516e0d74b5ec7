"""The exception tree drawn in ``parley.errors``' docstring is the real class hierarchy."""

from __future__ import annotations

import importlib
import pkgutil
import re

import pytest

import parley
from parley import errors

_TREE_LINE = re.compile(r"^(?P<indent>[\s│├└─]*)(?P<name>[A-Z]\w*)\b")


def drawn_tree(docstring: str) -> dict[str, str | None]:
    """Each class in the docstring's tree mapped to its parent (None for the root)."""
    _, _, after = docstring.partition("The tree::\n")
    block: list[str] = []
    for line in after.splitlines():
        if not line.strip():
            if block:
                break
            continue
        block.append(line)
    parents: dict[str, str | None] = {}
    stack: list[tuple[int, str]] = []
    for line in block:
        match = _TREE_LINE.match(line)
        assert match, f"not a tree line: {line!r}"
        depth, name = len(match["indent"]), match["name"]
        while stack and stack[-1][0] >= depth:
            stack.pop()
        parents[name] = stack[-1][1] if stack else None
        stack.append((depth, name))
    return parents


def real_tree(root: type[BaseException]) -> dict[str, str | None]:
    parents: dict[str, str | None] = {root.__name__: None}

    def walk(cls: type[BaseException]) -> None:
        for sub in cls.__subclasses__():
            parents[sub.__name__] = cls.__name__
            walk(sub)

    walk(root)
    return parents


@pytest.fixture(scope="module")
def every_module_imported() -> None:
    """Subclasses defined anywhere in parley only show up once their module is imported."""
    for module in pkgutil.walk_packages(parley.__path__, prefix="parley."):
        if module.name != "parley.__main__":
            importlib.import_module(module.name)


def test_parser_reads_a_tree() -> None:
    doc = "The tree::\n\n    A\n    ├── B\n    │   └── C  c\n    └── D  d\n\nMore.\n"
    assert drawn_tree(doc) == {"A": None, "B": "A", "C": "B", "D": "A"}


@pytest.mark.usefixtures("every_module_imported")
def test_docstring_tree_matches_the_classes() -> None:
    assert errors.__doc__
    assert drawn_tree(errors.__doc__) == real_tree(errors.ParleyError)


@pytest.mark.usefixtures("every_module_imported")
def test_every_error_class_lives_in_errors_module() -> None:
    for name in real_tree(errors.ParleyError):
        assert getattr(errors, name).__module__ == "parley.errors", name
