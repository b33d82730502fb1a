"""Real time mapped onto virtual time (serve --speed): the only wall-clock reader, driven by a fake clock here."""

from __future__ import annotations

from simulator.core import Engine
from simulator.http import RealtimeDriver, is_loopback


def test_virtual_time_follows_wall_time_times_the_speed() -> None:
    engine = Engine()
    wall = [100.0]
    driver = RealtimeDriver(engine, speed=3600, monotonic=lambda: wall[0])
    ran: list[str] = []
    engine.clock.schedule(engine.clock.now().replace(hour=2), lambda: ran.append("batch"))

    wall[0] += 1.5  # 1.5 s of wall time at ×3600 = 1 h 30 min virtual
    driver.sync()
    early = engine.clock.now().isoformat()
    wall[0] += 1.0
    driver.sync()

    assert early == "2019-05-01T01:30:00+08:00"
    assert engine.clock.now().isoformat() == "2019-05-01T02:30:00+08:00"
    assert ran == ["batch"]
    assert engine.clock_json()["mode"] == "realtime"


def test_a_manual_advance_in_realtime_mode_is_followed_not_undone() -> None:
    engine = Engine()
    wall = [0.0]
    driver = RealtimeDriver(engine, speed=60, monotonic=lambda: wall[0])

    engine.advance(to=engine.clock.now().replace(day=2))
    driver.sync()
    wall[0] += 60
    driver.sync()

    assert engine.clock.now().isoformat() == "2019-05-02T01:00:00+08:00"


def test_loopback_hosts_are_recognised() -> None:
    assert is_loopback("127.0.0.1") and is_loopback("localhost") and is_loopback("::1")
    assert not is_loopback("0.0.0.0") and not is_loopback("192.168.1.10")
