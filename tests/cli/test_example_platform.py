"""``lendsim example-platform`` as a user starts it: a start-up failure is one line and exit 2."""

from __future__ import annotations

from tests.cli.test_serve import start, taken_port


def test_a_port_in_use_is_one_line_and_exit_2_before_any_banner() -> None:
    with taken_port() as port:
        result = start("example-platform", "resilient", "--port", str(port))

    assert result.returncode == 2
    assert result.stderr == f"error: port {port} on 127.0.0.1 is in use; choose another with --port\n"
    assert result.stdout == ""
