"""The same runs on a Dask cluster (a ``LocalCluster`` of two worker processes): the same verdicts, violation counts
and journal entries per kind as in one process, and ``lendsim run --cluster`` reports them as ``--workers 1`` does;
a run's borrower shards on the cluster are judged as the whole run."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from simulator.cli import cli
from simulator.run._pool import RunTask, executor, run_tasks
from simulator.run._shards import run_sharded
from tests.run.test_pool import catalog, here, judged, tasks_of
from tests.run.test_shards import whole

distributed = pytest.importorskip("distributed", reason="the cluster extra: pip install 'lendsim[cluster]'")

pytestmark = pytest.mark.slow  # a cluster of two processes starts in ~5 s, and the runs take ~30 s on 2 busy cores


@pytest.fixture(scope="module")
def scheduler() -> Iterator[str]:
    """The address of a local cluster: two worker processes, one thread each (a run is CPU-bound Python)."""
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=":0") as cluster:
        yield cluster.scheduler_address


def test_catalog_runs_and_a_runs_shards_on_a_cluster_are_judged_as_the_same_runs_here(scheduler: str) -> None:
    tasks = tasks_of(catalog())

    with executor(1, cluster=scheduler) as pool:
        summaries = list(run_tasks(pool, tasks))
        (sharded,) = run_sharded(pool, [RunTask(catalog(("xiaomi-minsheng-2019",))[0], "naive", borrowers=16)], 3)

    assert [judged(summary) for summary in summaries] == [here(task) for task in tasks]
    assert {summary.status for summary in summaries} == {"passed", "failed"}
    # a run's borrower shards on the cluster, merged and judged here, are judged as the whole run
    one = whole("xiaomi-minsheng-2019", "naive")
    assert (sharded.status, [(v.key, v.outcome, len(v.violations)) for v in sharded.verdicts]) == (
        one.status,
        [(v.key, v.outcome, len(v.violations)) for v in one.verdicts],
    )
    assert sharded.status == "failed" and any(v.violations for v in sharded.verdicts)


def test_lendsim_run_on_a_cluster_writes_the_reports_one_process_writes(scheduler: str, tmp_path: Path) -> None:
    args = ["run", "out-of-order-callback", "--platform", "naive", "--platform", "resilient", "--seeds", "1,2"]
    args += ["--borrowers", "10"]

    on_cluster = CliRunner().invoke(cli, [*args, "--cluster", scheduler, "--report-dir", str(tmp_path / "c")])
    here_ = CliRunner().invoke(cli, [*args, "--report-dir", str(tmp_path / "h")])

    assert on_cluster.exit_code == here_.exit_code == 1, on_cluster.output
    assert f"4 runs on the Dask cluster at {scheduler}" in on_cluster.stderr
    reports = {}
    for folder in ("c", "h"):
        for path in sorted((tmp_path / folder).glob("*.json")):
            report = json.loads(path.read_text(encoding="utf-8"))
            report.pop("wallSeconds")
            reports.setdefault(path.name, []).append(report)
    assert len(reports) == 4
    assert all(cluster == one for cluster, one in reports.values())
    assert (tmp_path / "c" / "report.html").is_file()
