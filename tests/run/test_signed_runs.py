"""Signed runs from where a user stands: ``lendsim run`` of the forged-callback scenario, in-process and against the
resilient platform served over HTTP (its own ASGI adapter checks the bank's signatures over the bytes received),
and the server ``lendsim run`` starts for an HTTP platform's partners, defended as ``lendsim serve`` is."""

from __future__ import annotations

import json
import socket
from collections import Counter
from pathlib import Path

import pytest
from click.testing import CliRunner

from lendsim_examples import app_for
from simulator.cli import cli
from simulator.run import HttpDriver, run_scenario
from simulator.scenario import load_scenario
from simulator.world import Simulator
from tests.http.conftest import running

ROOT = Path(__file__).resolve().parents[2]
FORGED = ROOT / "scenarios" / "forged-callback.yaml"


@pytest.mark.parametrize(
    ("platform", "code", "outcome"),
    [("resilient", 0, "held"), ("bench.defects:UnverifiedCallbacks", 1, "violated")],
)
def test_lendsim_run_of_forged_callback_passes_a_platform_that_verifies_and_catches_one_that_does_not(
    tmp_path: Path, platform: str, code: int, outcome: str
) -> None:
    result = CliRunner().invoke(
        cli, ["run", "forged-callback", "--platform", platform, "--borrowers", "10", "--report-dir", str(tmp_path)]
    )

    assert result.exit_code == code, result.output
    (report,) = tmp_path.glob("*.json")
    invariants = {v["key"]: v for v in json.loads(report.read_text(encoding="utf-8"))["invariants"]}
    o12 = invariants["signed_callbacks_only"]
    assert o12["outcome"] == outcome and o12["checked"] > 0, o12


@pytest.mark.slow  # a platform process and a run over HTTP, ~30 s
def test_over_http_the_resilient_platform_signs_its_requests_and_refuses_what_the_bank_did_not_sign() -> None:
    scenario = load_scenario(str(FORGED))
    with running(app_for("resilient")) as url:
        result = run_scenario(scenario, HttpDriver(url), borrowers=6)

    assert result.error is None and result.passed, [v.reason for v in result.verdicts]
    journal = result.sim.journal
    answers = Counter(
        (entry.status, (entry.data.get("body") or {}).get("rule"))
        for entry in journal.iter(kind="response", partner="bank")
        if entry.operation != "registerLoan"
    )
    deliveries = Counter((e.status, e.data.get("signature")) for e in journal.iter(kind="delivery", partner="bank"))
    # every request of the platform verified: the only 401s are the replays the scenario sends again
    assert set(answers) <= {(200, None), (202, None), (401, "nonce_reused")} and answers[(200, None)] > 0
    assert answers[(401, "nonce_reused")] > 0
    assert {signature for _, signature in deliveries} >= {"b1", "b2", "forged", "unsigned"}
    assert all(status == 401 for status, signature in deliveries if signature in ("forged", "unsigned"))
    assert all(status == 200 for status, signature in deliveries if signature in ("b1", "b2"))


def _raw(port: int, data: bytes) -> tuple[int, dict[str, str], bytes]:
    with socket.create_connection(("127.0.0.1", port), timeout=15) as conn:
        conn.sendall(data)
        answer = b""
        while b"\r\n\r\n" not in answer:
            chunk = conn.recv(65536)
            assert chunk, answer
            answer += chunk
        head, _, body = answer.partition(b"\r\n\r\n")
        status_line, *lines = head.decode("latin-1").split("\r\n")
        headers = {name.lower(): value.strip() for name, _, value in (line.partition(":") for line in lines)}
        while len(body) < int(headers.get("content-length", "0")):
            body += conn.recv(65536)
    return int(status_line.split()[1]), headers, body


def test_the_server_lendsim_run_starts_for_the_partners_guards_the_control_api_and_answers_bad_http_as_problems() -> (
    None
):
    sim = Simulator(seed=1)
    driver = HttpDriver("http://127.0.0.1:9")  # never called here: only the partners' server is started
    urls = driver.start(sim)
    port = int(urls["bank"].split(":")[2].split("/")[0])
    driver.lock.acquire()  # as a runner holds it, letting go while it waits for the platform
    try:
        with driver.released():
            cross_site = _raw(
                port,
                b"POST /_sim/reset HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: text/plain\r\nContent-Length: 2\r\n"
                b"\r\n{}",
            )
            rebinding = _raw(port, b"GET /_sim/clock HTTP/1.1\r\nHost: attacker.example\r\n\r\n")
            garbage = _raw(port, b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03\r\n\r\n")
    finally:
        driver.stop()
        driver.lock.release()

    assert cross_site[0] == 415 and json.loads(cross_site[2])["errors"][0]["rule"] == "contentType"
    assert rebinding[0] == 403 and json.loads(rebinding[2])["errors"][0]["rule"] == "host"
    assert garbage[0] == 400 and garbage[1]["content-type"].startswith("application/problem+json")
    refused = [e.status for e in sim.journal.iter(kind="response") if e.data.get("refused")]
    assert refused == [415, 403, 400]
