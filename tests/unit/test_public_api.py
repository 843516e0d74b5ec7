"""The public surface of ``parley`` is exactly this list; changing it is a decision."""

from __future__ import annotations

import parley

PUBLIC_NAMES = [
    "ConfigurationError",
    "ParleyError",
    "Project",
    "ProjectError",
    "Settings",
    "__version__",
    "load_project",
    "load_settings",
    "read_project",
    "write_project",
]


def test_all_is_pinned() -> None:
    assert sorted(parley.__all__) == PUBLIC_NAMES
    assert len(parley.__all__) == len(set(parley.__all__))


def test_every_public_name_resolves() -> None:
    for name in parley.__all__:
        assert getattr(parley, name) is not None, name


def test_public_names_are_the_real_ones() -> None:
    from parley import errors, project, settings, version

    assert parley.__version__ == version.__version__
    assert parley.ParleyError is errors.ParleyError
    assert parley.ProjectError is errors.ProjectError
    assert parley.ConfigurationError is errors.ConfigurationError
    assert parley.Project is project.Project
    assert parley.load_project is project.load_project
    assert parley.read_project is project.read_project
    assert parley.write_project is project.write_project
    assert parley.Settings is settings.Settings
    assert parley.load_settings is settings.load_settings
