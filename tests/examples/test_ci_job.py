"""``examples/ci/github-actions.yml``, the CI job docs/testing.md points platform teams to, stays runnable: it replays
the whole catalog by name with options ``lendsim run`` takes, starts a platform that exists, and uploads what the run
writes."""

from __future__ import annotations

import shlex
from pathlib import Path
from typing import Any

import yaml
from click.testing import CliRunner

from simulator.cli import cli

ROOT = Path(__file__).resolve().parents[2]
JOB = ROOT / "examples" / "ci" / "github-actions.yml"


def steps() -> list[dict[str, Any]]:
    workflow = yaml.safe_load(JOB.read_text(encoding="utf-8"))
    (job,) = workflow["jobs"].values()
    return list(job["steps"])


def command(name: str) -> list[str]:
    """The words of the step called ``name``."""
    (step,) = (step for step in steps() if step.get("name") == name)
    return shlex.split(step["run"], comments=True)


def test_the_job_replays_every_catalog_scenario_by_name() -> None:
    words = command("Replay the catalog against the platform")
    options_at = next(i for i, word in enumerate(words) if word.startswith("--"))

    assert words[:2] == ["lendsim", "run"]
    assert sorted(words[2:options_at]) == sorted(path.stem for path in (ROOT / "scenarios").glob("*.yaml"))


def test_the_jobs_lendsim_options_are_options_of_lendsim_run() -> None:
    words = command("Replay the catalog against the platform")
    used = {word for word in words if word.startswith("--")}

    help_text = CliRunner().invoke(cli, ["run", "--help"]).output

    assert used and all(option in help_text for option in used), used


def test_the_job_starts_a_platform_of_this_repository_and_uploads_what_the_run_writes() -> None:
    started = command("Start the platform")
    replayed = command("Replay the catalog against the platform")
    (upload,) = (step for step in steps() if step.get("uses", "").startswith("actions/upload-artifact"))

    assert (ROOT / started[started.index("node") + 1]).is_file()
    uploaded = upload["with"]["path"].split()
    assert replayed[replayed.index("--junit") + 1] in uploaded
    assert replayed[replayed.index("--report-dir") + 1] + "/" in uploaded
    assert upload["if"] == "always()"
