"""bench/run generic's /proc parsing, mount paths and side-by-side rows, on made-up figures: no timing."""

from __future__ import annotations

import os
from pathlib import Path

from bench._generic import Operation, Outcome, cpu_seconds, rows_for
from bench._http import Load

PETSTORE = Operation("petstore.yaml", 19, "GET", "/pet/findByStatus?status=available")


def test_cpu_seconds_adds_user_system_and_waited_children_counted_after_a_command_name_with_parentheses() -> None:
    stat = "4242 (node (prism) mock) S 1 4242 4242 0 -1 4194560 900 0 3 0 300 100 40 60 20 0 11 0 7 0 0"

    assert cpu_seconds(stat, 100) == 5.0


def test_cpu_seconds_of_this_process_agrees_with_os_times() -> None:
    times = os.times()
    seen = cpu_seconds(Path("/proc/self/stat").read_text(), os.sysconf("SC_CLK_TCK"))

    assert abs(seen - sum(times[:4])) < 0.1


def test_a_contract_is_mounted_at_its_file_stem_and_labelled_by_its_written_path() -> None:
    adyen = Operation("adyen_checkout.json", 28, "GET", "/paymentLinks/PL1", shown="/paymentLinks/{linkId}")

    assert (PETSTORE.mount, PETSTORE.label) == ("/petstore", "GET /pet/findByStatus")
    assert (adyen.mount, adyen.label) == ("/adyen_checkout", "GET /paymentLinks/{linkId}")
    assert Operation("their-partner.yaml", 1, "GET", "/x").mount == "/their_partner"


def test_lendsim_is_the_figure_prism_the_baseline_and_the_ratio_lendsim_over_prism() -> None:
    lendsim = Outcome("lendsim serve", 5.0, 2.0, 100 * 2**20, Load(60_000, 60.0, 1.0, 5.0, 0), 110 * 2**20)
    prism = Outcome("Prism", 4.0, 2.5, 150 * 2**20, Load(12_000, 60.0, 5.0, 20.0, 30), 160 * 2**20)

    wall, cpu, rss, rate, after = rows_for(PETSTORE, lendsim, prism, 60.0)

    assert (wall.figure, wall.baseline, wall.ratio) == ("5.0 s", "4.0 s", 1.25)
    assert (cpu.figure, cpu.baseline, cpu.ratio) == ("2.0 s", "2.5 s", 0.8)
    assert (rss.figure, rss.baseline) == ("100 MiB", "150 MiB")
    assert (rate.figure, rate.baseline, rate.ratio) == ("1,000 req/s", "200 req/s", 5.0)
    assert rate.note == "Prism: 30 of 12,000 answers non-2xx or failed"
    assert (after.figure, after.baseline) == ("110 MiB", "160 MiB")
    assert rate.measurement == "petstore.yaml (19 ops), GET /pet/findByStatus: wrk 60 s"


def test_prism_that_never_answers_is_a_failed_row_with_its_error_and_no_ratios() -> None:
    lendsim = Outcome("lendsim serve", 20.0, 6.0, 200 * 2**20, Load(6_000, 60.0, 10.0, 50.0, 0), 240 * 2**20)
    prism = Outcome("Prism", error="no 2xx answer within 180 s; last: no answer (connection refused)")

    rows = rows_for(PETSTORE, lendsim, prism, 60.0)

    assert [row.baseline for row in rows] == ["failed", "—", "—", "—", "—"]
    assert [row.ratio for row in rows] == [None] * 5
    assert rows[0].figure == "20.0 s"
    assert rows[0].note == "Prism: no 2xx answer within 180 s; last: no answer (connection refused)"
    assert all(not row.note for row in rows[1:])
