"""The settings reference in docs/configuration.md, generated from the model's fields.

``python -m parley.settings docs/configuration.md`` rewrites the page's tables;
``tests/unit/test_configuration_doc.py`` fails when they and :class:`Settings` disagree.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from parley.settings.model import sections
from parley.settings.spec import Spec, specs

REFERENCE_MARKER = (
    "<!-- The reference below is generated from src/parley/settings/model.py: edit the Field "
    "descriptions there and run `python -m parley.settings docs/configuration.md`. -->"
)


@dataclass(frozen=True)
class ReferenceRow:
    """One setting as docs/configuration.md lists it."""

    key: str
    env: tuple[str, ...]
    type: str
    default: str
    description: str

    def cells(self) -> tuple[str, str, str, str, str]:
        """The row's Markdown table cells."""
        return (
            f"`{self.key}`",
            ", ".join(f"`{name}`" for name in self.env),
            self.type,
            self.default,
            self.description,
        )


def reference_rows() -> list[ReferenceRow]:
    """Every setting, in the order of the model, with what the docs say about it."""
    return [
        ReferenceRow(
            key=spec.key,
            env=spec.env_names,
            type=spec.allowed,
            default=_default_text(spec),
            description=spec.field.description or "",
        )
        for spec in specs().values()
    ]


def _default_text(spec: Spec) -> str:
    if spec.under_home is not None:
        return f"`{spec.under_home.template.format(home='<home>')}`"
    value = spec.field.default
    if value is None:
        return "unset"
    if isinstance(value, bool):
        return f"`{str(value).lower()}`"
    if isinstance(value, list):
        return f"`{', '.join(map(str, value))}`" if value else "empty"
    if isinstance(value, Path):
        return f"`{value.as_posix()}`"
    if isinstance(value, float) and value.is_integer():
        return f"`{int(value)}`"
    return f"`{value}`"


TABLE_HEADER = "| Key | Environment variables | Type | Default | Description |"


def render_reference_markdown() -> str:
    """The reference part of docs/configuration.md: one table per section."""
    rows = reference_rows()
    docs = {name: section.__doc__ or "" for name, section in sections().items()}
    out: list[str] = []
    for group in dict.fromkeys(row.key.split(".")[0] for row in rows):
        out += [f"### `{group}`", ""]
        if group in docs:
            out += [" ".join(docs[group].split()), ""]
        out += [TABLE_HEADER, "|---|---|---|---|---|"]
        for row in rows:
            if row.key.split(".")[0] == group:
                cells = row.cells()
                if any("|" in cell for cell in cells):
                    raise ValueError(f"a table cell of {row.key} contains '|': {cells}")
                out.append("| " + " | ".join(cells) + " |")
        out.append("")
    return "\n".join(out)


def update_reference(page: str) -> str:
    """``page`` with everything after the reference marker replaced by fresh tables."""
    head, marker, _ = page.partition(REFERENCE_MARKER)
    if not marker:
        raise ValueError(f"the page has no reference marker; add this line:\n{REFERENCE_MARKER}")
    return f"{head}{marker}\n\n{render_reference_markdown()}"
