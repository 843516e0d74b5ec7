"""The folder relative paths count from, and the folder ``~`` stands for."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from parley.settings.model import DEFAULT_HOME
from parley.settings.spec import Spec, map_settings


@dataclass(frozen=True)
class WorkingFolder:
    """Where relative paths count from, and the folder ``~`` stands for (None: not known)."""

    cwd: Path
    user_home: Path | None

    @property
    def default_home(self) -> Path:
        return self.absolute(DEFAULT_HOME)

    def absolute(self, path: Path) -> Path:
        if self.user_home is not None and path.parts[:1] == ("~",):
            path = self.user_home.joinpath(*path.parts[1:])
        return path if path.is_absolute() else self.cwd / path

    def anchor(self, data: dict[str, Any]) -> dict[str, Any]:
        """``data`` (settings as nested dicts) with every path made absolute.

        A blank one stays as it is, for the field check to refuse: ``Path("")`` would be the
        working folder, which nobody means by leaving a value out.
        """

        def absolute(spec: Spec, value: Any) -> Any:
            if spec.is_path and isinstance(value, str | Path) and str(value).strip():
                return self.absolute(Path(value))
            return value

        return map_settings(data, absolute)
