"""What ``lendsim check`` asked of the reference platforms over HTTP: a 405 says which methods the path takes, and
a virtual-time header that is no date-time is refused, not taken as the platform's clock or echoed back."""

from __future__ import annotations

from lendsim_examples import app_for
from tests.examples.test_asgi import request


def test_a_method_the_path_does_not_take_is_405_with_allow() -> None:
    status, headers, answer = request(app_for("resilient"), "PUT", "/callbacks/bank/repay-result")

    assert status == 405 and headers["allow"] == "POST"
    assert answer["title"] == "Method Not Allowed"


def test_a_virtual_time_stamp_that_is_no_date_time_is_refused_and_not_echoed() -> None:
    app = app_for("naive")

    status, headers, answer = request(app, "POST", "/harness/reset", headers={"X-Lendsim-Virtual-Time": "soon"})

    assert status == 400 and answer["errors"][0]["field"] == "header.X-Lendsim-Virtual-Time"
    assert "x-lendsim-virtual-time" not in headers and app.platform.now is None
