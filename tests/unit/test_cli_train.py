"""``parley train`` driven in-process through Typer's runner."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from parley.cli.app import app
from parley.models.artifact import read_manifest
from parley.models.manifest import ModelKind
from parley.project.scaffold import create_starter_project

runner = CliRunner()

FAST_CONFIG = """\
recipe: default.v1
language: en
pipeline:
  - name: WhitespaceTokenizer
  - name: RegexFeaturizer
"""


def bot(tmp_path: Path, config: str = FAST_CONFIG) -> Path:
    """The starter project with a pipeline that trains in no time."""
    target = tmp_path / "bot"
    create_starter_project(target)
    (target / "config.yml").write_text(config, encoding="utf-8")
    return target


def models(folder: Path) -> list[Path]:
    return sorted(folder.glob("*.tar.gz"))


def test_train_writes_a_model_and_then_reuses_it(tmp_path: Path) -> None:
    project = bot(tmp_path)
    result = runner.invoke(app, ["train", str(project)])
    assert result.exit_code == 0, result.output
    [model] = models(project / "models")
    assert "Trained the model" in result.stdout
    assert "policies" in result.stdout
    assert model.name in result.stdout
    manifest = read_manifest(model)
    assert manifest.seed == 0
    assert manifest.metrics.examples > 0
    assert manifest.kind is ModelKind.FULL
    assert manifest.policies

    again = runner.invoke(app, ["train", str(project)])
    assert again.exit_code == 0, again.output
    assert "Reused" in again.stdout
    assert model.name in again.stdout
    assert models(project / "models") == [model]

    # An NLU-only model is another model: it does not reuse the full one.
    nlu_only = runner.invoke(app, ["train", str(project), "--nlu-only"])
    assert nlu_only.exit_code == 0, nlu_only.output
    assert "Trained the NLU model" in nlu_only.stdout
    assert len(models(project / "models")) == 2
    assert {read_manifest(m).kind for m in models(project / "models")} == {
        ModelKind.FULL,
        ModelKind.NLU,
    }

    forced = runner.invoke(app, ["train", str(project), "--force"])
    assert forced.exit_code == 0, forced.output
    assert "Trained" in forced.stdout
    assert len(models(project / "models")) == 3


def test_out_seed_and_name(tmp_path: Path) -> None:
    project = bot(tmp_path)
    out = tmp_path / "elsewhere"
    result = runner.invoke(
        app, ["train", str(project), "--out", str(out), "--seed", "3", "--name", "coffee"]
    )
    assert result.exit_code == 0, result.output
    assert models(out) == [out / "coffee.tar.gz"]
    assert read_manifest(out / "coffee.tar.gz").seed == 3
    assert not (project / "models").exists()


def test_a_name_with_a_folder_is_refused(tmp_path: Path) -> None:
    project = bot(tmp_path)
    result = runner.invoke(app, ["train", str(project), "--name", "../../etc/model"])
    assert result.exit_code == 1
    assert "not a plain file name" in result.stderr
    assert not list(tmp_path.rglob("*.tar.gz"))


def test_a_broken_project_is_not_trained(tmp_path: Path) -> None:
    project = bot(tmp_path)
    (project / "domain.yml").write_text('version: "3.1"\nintents:\n  - greet\n  bad: [\n')
    result = runner.invoke(app, ["train", str(project)])
    assert result.exit_code == 1
    assert "domain.yml" in result.stderr
    assert "error(s); fix them" in result.stderr
    assert not (project / "models").exists()


def test_an_unknown_component_lists_the_valid_ones(tmp_path: Path) -> None:
    project = bot(tmp_path, "language: en\npipeline:\n  - name: WhitespaceTokeniser\n")
    result = runner.invoke(app, ["train", str(project)])
    assert result.exit_code == 1
    assert "unknown NLU component 'WhitespaceTokeniser'" in result.stderr
    assert "WhitespaceTokenizer" in result.stderr
    assert not models(project / "models")


def test_a_missing_folder(tmp_path: Path) -> None:
    result = runner.invoke(app, ["train", str(tmp_path / "nowhere")])
    assert result.exit_code == 1
    assert "is not a project folder" in result.stderr


def test_training_warnings_are_shown(tmp_path: Path) -> None:
    project = bot(tmp_path)
    (project / "data" / "nlu.yml").write_text(
        'version: "3.1"\nnlu:\n  - intent: greet\n    examples: |\n      - hi\n',
        encoding="utf-8",
    )
    result = runner.invoke(app, ["train", str(project)])
    assert result.exit_code == 0, result.output
    assert "nlu-one-intent" in result.stderr
    again = runner.invoke(app, ["train", str(project)])
    assert "Reused" in again.stdout
    assert "nlu-one-intent" in again.stderr, "a reused model shows its warnings again"


def test_help_says_what_is_trained() -> None:
    result = runner.invoke(app, ["train", "--help"])
    assert result.exit_code == 0
    text = " ".join(result.stdout.split())
    assert "NLU pipeline and dialogue policies" in text
    assert "--nlu-only" in text


def test_an_unchanged_project_is_reused_without_reading_it(tmp_path: Path) -> None:
    project = bot(tmp_path)
    data = project / "data" / "nlu.yml"
    data.write_text(
        data.read_text(encoding="utf-8") + "  - intent: unused\n    examples: |\n      - zzz\n"
    )
    first = runner.invoke(app, ["train", str(project)])
    assert first.exit_code == 0, first.output
    assert "intent-without" in first.stderr or "warning" in first.stderr

    # Byte-identical files: the model is found from their digest, so the project's
    # validation warnings (which come from reading it) are not printed again.
    again = runner.invoke(app, ["train", str(project)])
    assert "Reused" in again.stdout
    assert "data/nlu.yml" not in again.stderr

    # A comment changes the bytes but not the data: read again, same model reused by
    # fingerprint, and the digest of the new bytes remembered for next time.
    data.write_text(data.read_text(encoding="utf-8") + "# a comment\n")
    commented = runner.invoke(app, ["train", str(project)])
    assert "Reused" in commented.stdout
    assert "data/nlu.yml" in commented.stderr
    last = runner.invoke(app, ["train", str(project)])
    assert "Reused" in last.stdout
    assert "data/nlu.yml" not in last.stderr
    assert len(models(project / "models")) == 1


def test_a_replaced_model_is_not_taken_from_the_cache(tmp_path: Path) -> None:
    project = bot(tmp_path)
    assert runner.invoke(app, ["train", str(project), "--name", "m"]).exit_code == 0
    other = bot(tmp_path / "other", "language: en\npipeline:\n  - name: WhitespaceTokenizer\n")
    assert runner.invoke(app, ["train", str(other), "--name", "m"]).exit_code == 0
    (project / "models" / "m.tar.gz").write_bytes((other / "models" / "m.tar.gz").read_bytes())
    result = runner.invoke(app, ["train", str(project), "--name", "m"])
    assert result.exit_code == 0, result.output
    assert "Trained" in result.stdout, "a model with another fingerprint is no cache hit"


def test_a_seed_out_of_range_is_refused(tmp_path: Path) -> None:
    project = bot(tmp_path)
    for seed in ("-1", str(2**32)):
        result = runner.invoke(app, ["train", str(project), "--seed", seed])
        assert result.exit_code == 2
        assert "--seed" in result.output
    assert not (project / "models").exists()
