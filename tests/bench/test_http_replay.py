"""bench/run http-replay's parsing and rows, on lendsim run's real summary line and made-up figures: no timing."""

from __future__ import annotations

import pytest

from bench._http_replay import Held, Replay, Settings, _held_row, _replay_row, parse_summary

SUMMARY = (
    "xiaomi-minsheng-2019 against http://127.0.0.1:9311: passed (seed 20190514, 1,000 borrowers, 70 virtual days, "
    "21,912 events, 64.6 s): 4/4 invariants held, 0 violated, 0 not exercised\n"
    "  outcome  invariant  judged  violations  what\n"
)


def test_the_summary_line_of_lendsim_run_gives_outcome_borrowers_events_and_seconds() -> None:
    assert parse_summary(SUMMARY) == ("passed", 1000, 21912, 64.6)


def test_output_without_a_summary_is_an_error_that_shows_it() -> None:
    with pytest.raises(RuntimeError, match=r"no run summary.*Traceback"):
        parse_summary("Traceback (most recent call last): ...")


def test_an_http_run_is_set_against_the_in_process_one_and_its_three_times_bound() -> None:
    base = Replay("in-process", 20.0, "passed", 1000, 21912, 19.0)
    fast, slow = (Replay("resilient over HTTP", wall, "passed", 1000, 21912, wall - 1) for wall in (50.0, 70.0))

    met, missed = (_replay_row(run, base, "over HTTP", 3.0) for run in (fast, slow))

    assert (met.ratio, met.met, met.baseline, met.target) == (2.5, True, "20.0 s", "≤ 3× in-process")
    assert (missed.ratio, missed.met) == (3.5, False)
    assert _replay_row(fast, base, "node").met is None and _replay_row(fast, base, "node").target == "reported"


def test_a_timeout_fault_is_met_only_when_every_wait_and_the_whole_stay_within_timeout_and_margin() -> None:
    settings = Settings(held=3, client_timeout=1.0)

    overlapped = _held_row(Held((1.0, 1.01, 1.02), 1.03, 3), settings)
    serial = _held_row(Held((1.0, 1.0, 1.0), 3.0, 3), settings)

    assert overlapped.met is True and overlapped.baseline == "3 s one after another"
    assert serial.met is False
