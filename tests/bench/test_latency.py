"""The latency section's rows and the stall probe's summary, on a made-up probe run: they never time anything."""

from __future__ import annotations

from bench._latency import Long, OpenLoop, Probed, Settings, _details, _rows, probe_summary

SUMMARY = {
    "requests": 1000,
    "p50_ms": 4.0,
    "p99_ms": 30.0,
    "p999_ms": 45.0,
    "max_ms": 80.0,
    "over_50ms": 3,
    "errors": 0,
    "connections": 16,
}


def probed() -> Probed:
    pauses = [
        (1.0, "gc1", 3.0, 2.5, "collected 0 counts 701/1/0 cpu 2.5 ms"),
        (2.0, "clock event", 400.0, 362.3, "bank furnishing cpu 362.3 ms"),
        (2.0, "clock catch-up", 400.0, 362.4, "cpu 362.4 ms"),
        (3.0, "loop lag", 700.0, 60.0, "cpu 60.0 ms waited 630.0 ms"),
    ]
    return Probed(OpenLoop(dict(SUMMARY), [0.1, 0.2], [0.004, 0.08]), pauses, 500, 0)


def test_a_pause_of_lendsims_own_over_50_ms_of_cpu_fails_the_row_and_the_summary_names_what_it_was() -> None:
    load = OpenLoop(dict(SUMMARY), [0.1, 1.2], [0.004, 0.08])
    long = Long(load, [(0.0, 100 * 2**20), (60.0, 101 * 2**20)], 2**20, "1.0 1.0 1.0", "1.0 1.0 1.0")

    rows = {row.measurement.split(",")[0]: row for row in _rows(Settings.quick(), 1000.0, load, probed(), long)}
    details = _details(Settings.quick(), 500.0, load, probed(), long)
    summary = probe_summary(probed())

    own = rows["pauses lendsim caused over 50 ms of CPU (collections"]
    assert (own.figure, own.met) == ("1", False)  # the catch-up; one event of it is a part, not a second pause
    assert "clock catch-up 1 (wall max 400 ms, over 50 ms 1; CPU max 362.4 ms)" in details[1]
    furnishing = next(line for line in summary if line.startswith("clock event"))
    assert "CPU max  362.3 ms" in furnishing and "bank furnishing" in furnishing
    assert any("waited 630.0 ms" in line for line in summary if line.startswith("loop lag"))
