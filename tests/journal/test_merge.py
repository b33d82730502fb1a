"""``Journal.merge`` writes what the row-by-row merge it replaced wrote (``_reference_merge.py``, lendsim 322cf81):
every column of every entry, the seqs 1..n, the order, what the fold folded, and the merged seq of each entry asked
for — on the piece journals of sharded runs with faults, and on drawn journals folded by a drawn fold, past the
number of files SQLite attaches at once. The merged file is then a journal like any other; a merge that fails
leaves no file behind."""

from __future__ import annotations

import json
import sqlite3
import tempfile
from dataclasses import replace
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from simulator._resources import bundled_scenario
from simulator.journal import Entry, Journal
from simulator.journal._rows import _COLUMNS
from simulator.run._pool import RunTask
from simulator.run._shards import ShardFold, ShardTask, run_shard
from simulator.scenario import Shard, load_scenario
from tests.journal._reference_merge import reference_merge

CST = timezone(timedelta(hours=8))
T0 = datetime(2019, 5, 14, 20, 0, tzinfo=CST)
#: Sharded runs with faults: the incident against the naive platform (violations whose chains cite entries, some of
#: them folded away), the bank's batch jobs skipped, postponed and brought on by faults against the resilient one.
RUNS = {
    "incident-naive": ("xiaomi-minsheng-2019", "naive", 12, 3),
    "bank-jobs-faults-resilient": ("bank-jobs-faults", "resilient", 9, 3),
}


def stored(journal: Journal) -> list[tuple[Any, ...]]:
    """Every column of every entry, as stored, in seq order."""
    return journal._fetch(f"SELECT {_COLUMNS} FROM entries ORDER BY seq", (), None)


@pytest.fixture(scope="module", params=sorted(RUNS))
def pieces(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> tuple[list[Path], list[set[int]]]:
    """The piece journals of a sharded run, as its pieces leave them, and the seqs their violations cite."""
    name, platform, borrowers, count = RUNS[request.param]
    folder = tmp_path_factory.mktemp(request.param)
    task = RunTask(load_scenario(str(bundled_scenario(name))), platform, borrowers=borrowers)
    runs = [run_shard(ShardTask(task, Shard(index, count), str(folder))) for index in range(count)]
    cited = [
        {seq for verdict in run.verdicts or () for violation in verdict.violations for seq in violation.chain}
        for run in runs
    ]
    return [Path(str(run.path)) for run in runs], cited


def test_the_merge_of_a_sharded_runs_pieces_is_the_row_by_row_merge(
    pieces: tuple[list[Path], list[set[int]]], tmp_path: Path
) -> None:
    paths, cited = pieces
    sources = [Journal(path) for path in paths]
    asked = [dict.fromkeys(seqs, 0) for seqs in cited]
    expected_seqs = [dict.fromkeys(seqs, 0) for seqs in cited]
    expected = reference_merge(sources, fold=ShardFold(len(sources)), seqs=expected_seqs)

    fold, folding = ShardFold(len(sources)), ShardFold.operations  # as a sharded run merges: only what it folds
    with Journal.merge(sources, tmp_path / "run.sqlite", fold=fold, folding=folding, seqs=asked) as merged:
        assert stored(merged) == stored(expected)
        assert asked == expected_seqs
        assert len(merged) < sum(len(source) for source in sources)  # the fold left the shards' copies out
    if any(cited):
        assert any(value for renumbered in asked for value in renumbered.values())
    for source in (*sources, expected):
        source.close()


def test_a_merged_file_is_a_journal_like_any_other(pieces: tuple[list[Path], list[set[int]]], tmp_path: Path) -> None:
    paths, _ = pieces
    sources = [Journal(path) for path in paths]
    target = tmp_path / "run.sqlite"

    Journal.merge(sources, target, fold=ShardFold(len(sources))).close()

    with sqlite3.connect(target) as db:
        assert db.execute("PRAGMA journal_mode").fetchone() == ("wal",)
        assert db.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    with Journal(target) as reopened:
        count = len(reopened)
        assert count > 0
        assert reopened.append("event", T0).seq == count + 1  # it goes on where the merge stopped
        assert [entry.seq for entry in reopened.iter(after=count - 3)] == [count - 2, count - 1, count, count + 1]
    for source in sources:
        source.close()


def test_a_merge_whose_fold_fails_leaves_no_file_behind(tmp_path: Path) -> None:
    with Journal() as shard:
        shard.append("event", T0, partner="bank", operation="batch")
        shard.append("event", T0, partner="bank", operation="posted", borrower="B1")
        target = tmp_path / "run.sqlite"

        def fold(instant: list[tuple[int, Entry]]) -> list[Entry | None]:
            raise ValueError("a fold that breaks")

        with pytest.raises(ValueError, match="a fold that breaks"):
            Journal.merge([shard], target, fold=fold)

    assert sorted(tmp_path.iterdir()) == []


@pytest.mark.parametrize(
    ("answer", "expected"),
    [
        # the left-out entry comes first, the one kept for it after: the merge has not numbered it yet
        (lambda first, second: [None, second], [{1: 0}, {1: 1}]),
        # the one kept for it now names a borrower: it no longer stands for what named nobody
        (lambda first, second: [replace(first, borrower="B9"), None], [{1: 1}, {1: 0}]),
        # the one kept for it came first and names nobody: the left-out entry takes its seq
        (lambda first, second: [first, None], [{1: 1}, {1: 1}]),
    ],
)
def test_a_left_out_entry_takes_the_seq_of_the_entry_kept_for_it_only_if_that_came_first_naming_nobody(
    answer: Any, expected: list[dict[int, int]]
) -> None:
    def fold(instant: list[tuple[int, Entry]]) -> list[Entry | None]:
        return answer(instant[0][1], instant[1][1])  # type: ignore[no-any-return]

    with Journal() as shard_a, Journal() as shard_b:
        for shard in (shard_a, shard_b):
            shard.append("event", T0, partner="bank", operation="batch")
        asked, reference = [{1: 0}, {1: 0}], [{1: 0}, {1: 0}]
        reference_merge([shard_a, shard_b], fold=fold, seqs=reference).close()

        Journal.merge([shard_a, shard_b], fold=fold, seqs=asked).close()

    assert asked == reference == expected


# -- drawn journals, a drawn fold -----------------------------------------------------------------------------------

_WHO = st.sampled_from([None, None, None, "B1", "B2"])
_ENTRY = st.fixed_dictionaries(
    {
        "kind": st.sampled_from(["event", "fault", "request"]),
        "minute": st.integers(0, 6),
        "zone": st.sampled_from([CST, UTC]),
        "partner": st.sampled_from([None, "bank", "sms"]),
        "operation": st.sampled_from([None, "batch", "posted", "faultFired"]),
        "borrower": _WHO,
        "serial": st.sampled_from([None, None, None, "RP1"]),
        "status": st.sampled_from([None, 200]),
        "data": st.one_of(
            st.none(),
            st.fixed_dictionaries({"n": st.integers(0, 9)}),
            st.fixed_dictionaries({"n": st.integers(0, 9), "x": st.floats(allow_nan=False, allow_infinity=False)}),
            st.fixed_dictionaries({"n": st.integers(0, 9), "s": st.text(max_size=3)}),
        ),
        "spaced": st.booleans(),  # its data given as JSON text of its own, as the engine gives a body it sent
    }
)
_SHARDS = st.lists(st.lists(_ENTRY, max_size=12), min_size=1, max_size=13)


def drawn_fold(instant: list[tuple[int, Entry]]) -> list[Entry | None]:
    """Of an instant's entries that name nobody: by the number in its data, each one kept as it is, left out, given
    new data, moved to another instant, or made to name a borrower — whatever a fold may answer."""
    out: list[Entry | None] = []
    for position, (shard, entry) in enumerate(instant):
        n = int(entry.data.get("n", position + shard))
        if n % 5 == 0:
            out.append(None)
        elif n % 5 == 1:
            out.append(replace(entry, data={**entry.data, "n": n + shard, "folded": True}))
        elif n % 5 == 2:
            out.append(replace(entry, virtual_time=entry.virtual_time + timedelta(minutes=30), data={}))
        elif n % 5 == 3 and shard > 0:
            out.append(replace(entry, borrower="B9"))
        else:
            out.append(entry)
    return out


def journal_of(entries: list[dict[str, Any]], path: Path | None) -> Journal:
    journal = Journal() if path is None else Journal(path)
    for fields in entries:
        journal.append(
            fields["kind"],
            (T0 + timedelta(minutes=fields["minute"])).astimezone(fields["zone"]),
            partner=fields["partner"],
            operation=fields["operation"],
            borrower=fields["borrower"],
            serial=fields["serial"],
            status=fields["status"],
            data=fields["data"],
            data_json=json.dumps(fields["data"], separators=(", ", ": ")) if fields["spaced"] else None,
        )
    return journal


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(shards=_SHARDS, on_disk=st.booleans(), folded=st.booleans())
def test_the_merge_of_drawn_journals_is_the_row_by_row_merge(
    shards: list[list[dict[str, Any]]], on_disk: bool, folded: bool
) -> None:
    asked = range(16)  # every seq (and two no entry has): each one's merged seq, or the one standing for it
    with tempfile.TemporaryDirectory() as scratch:
        folder = Path(scratch)
        sources = [
            journal_of(entries, folder / f"shard-{index}.sqlite" if on_disk else None)
            for index, entries in enumerate(shards)
        ]
        wanted = [dict.fromkeys(asked, 0) for _ in sources]
        expected_seqs = [dict.fromkeys(asked, 0) for _ in sources]
        fold = drawn_fold if folded else None
        expected = reference_merge(sources, fold=fold, seqs=expected_seqs)

        merged = Journal.merge(sources, folder / "run.sqlite" if on_disk else ":memory:", fold=fold, seqs=wanted)

        assert stored(merged) == stored(expected)
        assert wanted == expected_seqs
        for journal in (merged, expected, *sources):
            journal.close()
