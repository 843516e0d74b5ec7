from __future__ import annotations

from pathlib import Path

import pytest

from parley.core.registry import Registry
from parley.errors import UnknownNameError


class Base:
    pass


class Good(Base):
    pass


class NotABase:
    pass


def registry() -> Registry[Base]:
    here = __name__
    return Registry(
        "widget",
        Base,
        {"Good": f"{here}:Good", "Bad": f"{here}:NotABase"},
        entry_point_group="parley.no_such_group",
    )


def test_builtins_resolve_lazily_and_are_cached() -> None:
    widgets = registry()
    assert widgets.names() == ["Bad", "Good"]
    assert "Good" in widgets
    assert widgets.get("Good") is Good
    assert widgets.get("Good") is widgets.get("Good")
    assert widgets.target("Good").endswith(":Good")


def test_an_unknown_name_lists_the_valid_ones() -> None:
    with pytest.raises(
        UnknownNameError, match="unknown widget 'Nope'; valid widgets are: Bad, Good"
    ):
        registry().get("Nope")
    with pytest.raises(UnknownNameError):
        registry().target("Nope")


def test_a_target_of_the_wrong_kind_is_refused() -> None:
    with pytest.raises(TypeError, match="not a Base"):
        registry().get("Bad")


def test_installed_plugins_add_names(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # A real distribution on sys.path, as `pip install some-parley-plugin` leaves one.
    dist = tmp_path / "parley_widget_plugin-1.0.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text(
        "Metadata-Version: 2.1\nName: parley-widget-plugin\nVersion: 1.0\n"
    )
    (dist / "entry_points.txt").write_text(f"[parley.test_widgets]\nExtra = {__name__}:Good\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    widgets: Registry[Base] = Registry(
        "widget", Base, {"Good": f"{__name__}:Good"}, entry_point_group="parley.test_widgets"
    )
    assert widgets.names() == ["Extra", "Good"]
    assert widgets.get("Extra") is Good
    assert widgets.target("Extra") == f"{__name__}:Good"
