"""The smoke suite on the bundled SmolLM2 (a real model: slow, run with `make test-slow`)."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from jmedllm.cli import app
from jmedllm.eval.records import RunSummary
from jmedllm.eval.tasks import SUITES

pytest.importorskip("inspect_ai")
FIXTURES = Path(__file__).parent / "data"
REPO = Path(__file__).resolve().parents[2]


@pytest.mark.slow
@pytest.mark.timeout(1200)  # a real model on every smoke task: ~4 min alone, far more on a shared machine
def test_smoke_suite_on_the_bundled_model_end_to_end(tmp_path: Path) -> None:
    config = yaml.safe_load((REPO / "configs" / "eval" / "smoke.yaml").read_text())
    config.update(output_dir=str(tmp_path / "run"), data_dir=str(FIXTURES), limit=2)
    path = tmp_path / "smoke.yaml"
    path.write_text(yaml.safe_dump(config, allow_unicode=True))
    runner = CliRunner()
    result = runner.invoke(app, ["eval", "run", "--config", str(path), "--display", "none"])
    assert result.exit_code == 0, result.output
    summary = RunSummary.load(tmp_path / "run" / "smollm2" / "summary.json")
    assert [t.task for t in summary.tasks] == [*SUITES["smoke"].tasks, "judge-validation"]
    assert all(t.n == 2 for t in summary.tasks if not t.task.startswith(("robustness-", "judge-")))
    assert all(t.status == "success" for t in summary.tasks)
    harmful = summary.task("safety-harmful")
    assert harmful is not None and harmful.metric("harmful_response_rate") is not None
    report = tmp_path / "report.html"
    result = runner.invoke(app, ["eval", "report", str(tmp_path / "run"), "--out", str(report)])
    assert result.exit_code == 0, result.output
    assert "smollm2" in report.read_text(encoding="utf-8")
