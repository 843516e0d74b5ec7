"""``parley test nlu``: cross-validation and model tests end to end, and its error messages."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

from parley.cli.app import app

runner = CliRunner()

TEST_EXAMPLES = """\
version: "3.1"
nlu:
  - intent: greet
    examples: |
      - hello there
      - hi friend
  - intent: order_drink
    examples: |
      - a [latte](drink) please
      - can I get an [espresso](drink)
"""

# A pipeline of a few fast components, so the tests train in well under a second.
QUICK_CONFIG = """\
version: "3.1"
language: en
pipeline:
  - name: WhitespaceTokenizer
  - name: CountVectorsFeaturizer
  - name: LinearIntentClassifier
  - name: LexicalSyntacticFeaturizer
  - name: CRFEntityExtractor
"""


def starter(tmp_path: Path, *, quick: bool = True) -> Path:
    target = tmp_path / "bot"
    result = runner.invoke(app, ["init", str(target)])
    assert result.exit_code == 0, result.output
    if quick:
        (target / "config.yml").write_text(QUICK_CONFIG, encoding="utf-8")
    return target


def invoke(*args: str) -> tuple[int, str]:
    # Wide enough that Rich's usage-error box keeps each message on one line.
    result = runner.invoke(app, ["test", "nlu", *args], env={"COLUMNS": "240"})
    return result.exit_code, result.output


def test_nlu_is_a_command_of_the_test_group() -> None:
    code, output = invoke("--help")
    assert code == 0
    for option in ("--cross-validation", "--test-data", "--model", "--out"):
        assert option in output
    group = runner.invoke(app, ["test", "--help"])
    assert group.exit_code == 0
    assert "nlu" in group.output


def test_no_test_data_names_both_options(tmp_path: Path) -> None:
    bot = starter(tmp_path)
    for story_file in (bot / "tests").glob("*.yml"):
        story_file.unlink()
    code, output = invoke(str(bot))
    assert code == 1
    assert "has no NLU examples" in output
    assert "--test-data FILE" in output
    assert "--cross-validation K" in output


def test_no_model_says_to_train_one(tmp_path: Path) -> None:
    bot = starter(tmp_path)
    data = tmp_path / "test_nlu.yml"
    data.write_text(TEST_EXAMPLES, encoding="utf-8")
    code, output = invoke(str(bot), "--test-data", str(data))
    assert code == 1
    assert "no trained model" in output
    assert "parley train" in output


def test_a_missing_test_file_is_an_error(tmp_path: Path) -> None:
    bot = starter(tmp_path)
    code, output = invoke(str(bot), "--test-data", str(tmp_path / "nope.yml"))
    assert code == 1
    assert "nope.yml is not a file" in output


def test_a_test_file_with_errors_lists_them(tmp_path: Path) -> None:
    bot = starter(tmp_path)
    data = tmp_path / "broken.yml"
    data.write_text('version: "3.1"\nnlu:\n  - intnt: greet\n    examples: "- hi"\n', "utf-8")
    code, output = invoke(str(bot), "--test-data", str(data))
    assert code == 1
    assert "broken.yml has 1 error(s)" in output
    assert "did you mean 'intent'" in output


def test_one_fold_is_refused(tmp_path: Path) -> None:
    bot = starter(tmp_path)
    code, output = invoke(str(bot), "--cross-validation", "1")
    assert code == 2
    assert "--cross-validation" in output
    assert "greater than or equal to 2" in output


def test_cross_validation_with_a_model_is_refused(tmp_path: Path) -> None:
    bot = starter(tmp_path)
    code, output = invoke(str(bot), "--cross-validation", "3", "--test-data", "x.yml")
    assert code == 2
    assert "leave out --test-data" in output


def test_not_a_project_folder(tmp_path: Path) -> None:
    code, output = invoke(str(tmp_path / "missing"), "--cross-validation", "3")
    assert code == 1
    assert "is not a project folder" in output


@pytest.mark.slow  # trains real pipelines
def test_cross_validation_writes_the_report(tmp_path: Path) -> None:
    bot = starter(tmp_path)
    code, output = invoke(str(bot), "--cross-validation", "3")
    assert code == 0, output
    assert "3-fold cross-validation" in output
    assert "intents" in output
    assert "CRFEntityExtractor" in output
    results = bot / "results"
    report = json.loads((results / "intent_report.json").read_text("utf-8"))
    assert {"greet", "order_drink", "accuracy", "macro avg"} <= set(report)
    folds = json.loads((results / "cross_validation.json").read_text("utf-8"))
    assert len(folds["folds"]) == 3
    assert (results / "intent_confusion_matrix.png").read_bytes()[:4] == b"\x89PNG"


@pytest.mark.slow  # trains real pipelines
def test_a_trained_model_is_tested_on_a_file_and_on_tests(tmp_path: Path) -> None:
    bot = starter(tmp_path)
    trained = runner.invoke(app, ["train", str(bot)])
    assert trained.exit_code == 0, trained.output
    data = tmp_path / "test_nlu.yml"
    data.write_text(TEST_EXAMPLES, encoding="utf-8")
    out = tmp_path / "report"
    code, output = invoke(str(bot), "--test-data", str(data), "--out", str(out))
    assert code == 0, output
    assert "4 examples" in output
    entities = json.loads((out / "entity_report.json").read_text("utf-8"))
    assert entities["drink"]["support"] == 2

    # Without --test-data, the NLU examples in tests/ are used, with the newest model.
    (bot / "tests" / "test_nlu.yml").write_text(TEST_EXAMPLES, encoding="utf-8")
    older = next((bot / "models").glob("*.tar.gz"))
    stale = bot / "models" / "0-broken.tar.gz"
    stale.write_bytes(b"not a model")
    past = time.time() - 3600
    os.utime(stale, (past, past))
    code, output = invoke(str(bot))
    assert code == 0, output
    assert older.name in output
    assert "the examples in" in output
    assert (bot / "results" / "intent_report.json").is_file()


def test_without_nlu_test_examples_the_test_stories_user_messages_are_used(
    tmp_path: Path,
) -> None:
    bot = starter(tmp_path)
    trained = runner.invoke(app, ["train", str(bot)])
    assert trained.exit_code == 0, trained.output
    code, output = invoke(str(bot))
    assert code == 0, output
    assert "the user messages of the test stories" in output
    report = json.loads((bot / "results" / "intent_report.json").read_text("utf-8"))
    assert report["greet"]["support"] >= 1
    entities = json.loads((bot / "results" / "entity_report.json").read_text("utf-8"))
    assert entities["drink"]["support"] >= 1, "annotations in story text are entities"
