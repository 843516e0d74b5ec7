"""The public surface of ``parley`` is exactly this list; changing it is a decision."""

from __future__ import annotations

from pathlib import Path

import parley

PUBLIC_NAMES = [
    "Agent",
    "BotMessage",
    "ConfigurationError",
    "ParleyError",
    "Project",
    "ProjectError",
    "Settings",
    "UserMessage",
    "__version__",
    "load_model",
    "load_project",
    "load_settings",
    "read_project",
    "train",
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


def test_the_engine_names_are_the_real_ones() -> None:
    from parley import agent, bootstrap
    from parley.core import messages

    assert parley.Agent is agent.Agent
    assert parley.UserMessage is messages.UserMessage
    assert parley.BotMessage is messages.BotMessage
    assert parley.load_model is bootstrap.load_model
    assert parley.train is bootstrap.train


def test_a_trained_assistant_answers_through_the_public_api(tmp_path: Path) -> None:
    from parley.project.scaffold import create_starter_project

    project = tmp_path / "bot"
    create_starter_project(project)
    result = parley.train(project)
    assert parley.train(project).reused
    agent = parley.load_model(result.path).agent()
    answer = agent.handle(parley.UserMessage(text="hello", sender_id="api"))
    assert answer
    assert all(isinstance(message, parley.BotMessage) for message in answer)
    assert answer[0].recipient_id == "api"
    assert answer[0].text
