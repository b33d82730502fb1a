"""Instructions section: the in-process section's paths counted in instructions per call by valgrind's callgrind.

CPU time on a shared machine moves by 20–40 % between runs; an instruction count repeats to within about ±0.6 %
whatever else runs. Each path runs in its own child process (``python -m bench._instructions PATH WARMUP CALLS``)
under ``valgrind --tool=callgrind --instr-atstart=no``: the child builds the path as :mod:`bench._inprocess`
does, warms it up and says ``ready`` on its stdout; the parent switches instrumentation on for that child's pid
alone (``callgrind_control -i on PID``: other callgrind runs on the machine are left alone) and says ``go``; the
child makes the measured calls and says ``done``; the parent switches instrumentation off and says ``end``; the
child exits and callgrind's total, divided by the calls, is the figure.
"""

from __future__ import annotations

import os
import re
import select
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path

import httpx

from bench import _inprocess
from bench._inprocess import BARE_URL, Send
from bench._report import Row, not_available
from bench._tools import Unavailable
from simulator.journal import BATCH
from simulator.testing import mock_router

__all__ = ["PATHS", "Settings", "callgrind_total", "measure"]

ROOT = Path(__file__).resolve().parent.parent
SECTION = "instructions"
PATHS = ("respx", "bare-respx", "bare-respx-httpx", "transport", "mock-transport", "core", "core-stubbed")
TOOLS = ("valgrind", "callgrind_control")


@dataclass(frozen=True, slots=True)
class Settings:
    # Counted, per path. The journal writes its rows in batches of BATCH (two rows a call): a multiple of BATCH / 2
    # calls includes exactly that many batch writes whatever the rows already pending, so they are counted in
    # proportion (300 calls never reached one: ~40k instructions a call went unseen).
    calls: int = BATCH
    warmup: int = 50  # made before instrumentation is switched on
    timeout: float = 600.0  # seconds a child may take from start to exit

    @classmethod
    def quick(cls) -> Settings:
        return cls(calls=BATCH // 2, warmup=30, timeout=300.0)


# -- the child ------------------------------------------------------------------------------------------------


def _path(name: str, stack: ExitStack) -> Send:
    """One call of path ``name``, built as the in-process section builds it (contexts entered on ``stack``)."""
    if name in ("core", "core-stubbed"):
        sim = _inprocess._simulator(stubbed=name == "core-stubbed")
        stack.callback(sim.journal.close)
        return _inprocess._handle(sim)
    harness = _inprocess._harness()
    stack.callback(harness.sim.journal.close)
    answer = _inprocess._answer(harness.sim)
    if name == "respx":
        stack.enter_context(mock_router(harness.sim))
        return _inprocess._post(stack.enter_context(httpx.Client()), harness.base_url("bank") + "/repayments")
    if name in ("bare-respx", "bare-respx-httpx"):
        stack.enter_context(_inprocess._bare_respx(answer, "httpx" if name == "bare-respx-httpx" else "httpcore"))
        return _inprocess._post(stack.enter_context(httpx.Client()), BARE_URL)
    if name == "transport":
        client = httpx.Client(transport=harness.transport("bank"), base_url="http://bank")
    elif name == "mock-transport":
        client = httpx.Client(transport=httpx.MockTransport(_inprocess._constant(answer)), base_url="http://bank")
    else:
        raise ValueError(f"no path {name!r}; choose from {', '.join(PATHS)}")
    return _inprocess._post(stack.enter_context(client), "/repayments")


def _wait_for(word: str) -> None:
    """Wait for ``word`` on stdin, waking every 50 ms so valgrind's gdbserver can take callgrind_control's commands."""
    while not select.select([sys.stdin], [], [], 0.05)[0]:
        pass
    line = sys.stdin.readline().strip()
    if line != word:
        raise SystemExit(f"expected {word!r} from the parent, got {line!r}")


def _say(word: str) -> None:
    sys.stdout.write(word + "\n")
    sys.stdout.flush()


def child(name: str, warmup: int, calls: int) -> None:
    """Build path ``name``, make ``warmup`` calls, then ``calls`` between ``ready``/``go`` and ``done``/``end``."""
    with ExitStack() as stack:
        send = _path(name, stack)
        bodies = _inprocess._bodies("I")
        warm = [next(bodies) for _ in range(warmup)]
        batch = [next(bodies) for _ in range(calls)]
        for body in warm:
            send(body)
        _say("ready")
        _wait_for("go")
        for body in batch:
            send(body)
        _say("done")
        _wait_for("end")


# -- the parent -----------------------------------------------------------------------------------------------

_COLLECTED = re.compile(r"^(?:==\d+==\s*)?Collected\s*:\s*(\d+)\s*$", re.MULTILINE)
_TOTALS = re.compile(r"^(?:summary|totals):\s*(\d+)", re.MULTILINE)


def callgrind_total(text: str) -> int | None:
    """The instructions callgrind counted: ``Collected : N`` on valgrind's stderr, or an out file's totals line."""
    for pattern in (_COLLECTED, _TOTALS):
        found = pattern.findall(text)
        if found:
            return int(found[-1])
    return None


def missing_tools() -> str | None:
    """Why callgrind cannot be used here, or None when valgrind and callgrind_control are both on the PATH."""
    missing = [tool for tool in TOOLS if shutil.which(tool) is None]
    if not missing:
        return None
    return f"{' and '.join(missing)} not installed (apt-get install valgrind)"


class _Child:
    """One path's child process under callgrind, spoken to over its stdin and stdout."""

    def __init__(self, name: str, settings: Settings, workdir: Path) -> None:
        self.name = name
        self.deadline = time.monotonic() + settings.timeout
        self.out = workdir / f"callgrind.{name}.out"
        self.log = workdir / f"valgrind.{name}.log"
        command = [
            "valgrind",
            "--tool=callgrind",
            "--instr-atstart=no",
            f"--callgrind-out-file={self.out}",
            sys.executable,
            "-m",
            "bench._instructions",
            name,
            str(settings.warmup),
            str(settings.calls),
        ]
        with self.log.open("wb") as log:
            self.process = subprocess.Popen(
                command, cwd=ROOT, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=log, bufsize=0
            )
        self.buffer = b""

    def expect(self, word: str) -> None:
        """Read the child's stdout until the line ``word``, failing at the deadline or if the child exits."""
        assert self.process.stdout is not None
        while True:
            lines = self.buffer.split(b"\n")
            self.buffer = lines[-1]
            if any(line.strip() == word.encode() for line in lines[:-1]):
                return
            left = self.deadline - time.monotonic()
            if left <= 0:
                raise Unavailable(f"{self.name}: no {word!r} from the child within the time limit")
            if select.select([self.process.stdout], [], [], min(left, 1.0))[0]:
                chunk = os.read(self.process.stdout.fileno(), 4096)
                if not chunk:
                    raise Unavailable(f"{self.name}: the child exited before {word!r}: {self._tail()}")
                self.buffer += chunk

    def say(self, word: str) -> None:
        assert self.process.stdin is not None
        self.process.stdin.write(word.encode() + b"\n")
        self.process.stdin.flush()

    def instrument(self, on: bool) -> None:
        """``callgrind_control -i on|off PID``: this child only, never every callgrind process on the machine."""
        pid = str(self.process.pid)
        state = "on" if on else "off"
        left = max(1.0, self.deadline - time.monotonic())
        try:
            done = subprocess.run(
                ["callgrind_control", "-i", state, pid], capture_output=True, text=True, timeout=min(left, 60.0)
            )
        except subprocess.TimeoutExpired:
            raise Unavailable(f"{self.name}: callgrind_control -i {state} {pid} did not answer") from None
        if done.returncode != 0 or "OK" not in done.stdout:
            said = (done.stdout + done.stderr).strip().splitlines()
            raise Unavailable(f"{self.name}: callgrind_control -i {state} {pid} failed: {' / '.join(said[-2:])}")

    def finish(self) -> int:
        """Wait for the child's exit; the instructions counted."""
        try:
            code = self.process.wait(timeout=max(1.0, self.deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            raise Unavailable(f"{self.name}: the child did not exit within the time limit") from None
        if code != 0:
            raise Unavailable(f"{self.name}: the child exited with {code}: {self._tail()}")
        total = callgrind_total(self.log.read_text(errors="replace"))
        if total is None and self.out.exists():
            total = callgrind_total(self.out.read_text(errors="replace"))
        if total is None:
            raise Unavailable(f"{self.name}: callgrind reported no total: {self._tail()}")
        return total

    def kill(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait()
        for stream in (self.process.stdin, self.process.stdout):
            if stream is not None:
                stream.close()

    def _tail(self) -> str:
        lines = [line for line in self.log.read_text(errors="replace").splitlines() if line.strip()]
        return " / ".join(lines[-3:]) or "nothing on stderr"


def count(name: str, settings: Settings) -> float:
    """Instructions per call of path ``name`` (raises :class:`Unavailable` saying why it could not be counted)."""
    with tempfile.TemporaryDirectory(prefix="lendsim-callgrind-") as workdir:
        child_process = _Child(name, settings, Path(workdir))
        try:
            child_process.expect("ready")
            child_process.instrument(True)
            child_process.say("go")
            child_process.expect("done")
            child_process.instrument(False)
            child_process.say("end")
            return child_process.finish() / settings.calls
        finally:
            child_process.kill()


def measure(settings: Settings) -> tuple[list[Row], list[str]]:
    why = missing_tools()
    counted: dict[str, float] = {}
    failed: dict[str, str] = {}
    for name in PATHS:
        if why is not None:
            failed[name] = why
            continue
        print(f"   {name} ...", flush=True)
        try:
            counted[name] = count(name, settings)
        except Unavailable as exc:
            failed[name] = str(exc)
    rows = [
        _pair(_counted(_inprocess.RESPX_ROW), "respx", "bare-respx", 1.2, counted, failed),
        _pair(
            _counted(_inprocess.RESPX_HTTPX_ROW),
            "respx",
            "bare-respx-httpx",
            None,
            counted,
            failed,
            _inprocess.RESPX_HTTPX_NOTE,
        ),
        _pair(_counted(_inprocess.TRANSPORT_ROW), "transport", "mock-transport", 1.3, counted, failed),
    ]
    for measurement, name, note in (
        (_counted(_inprocess.CORE_ROW), "core", _share("core", counted)),
        (_counted(_inprocess.STUBBED_ROW), "core-stubbed", _inprocess.STUBBED_NOTE),
    ):
        if name in counted:
            rows.append(Row(SECTION, measurement, _instructions(counted[name]), note=note))
        else:
            rows.append(not_available(SECTION, measurement, failed[name]))
    return rows, [
        f"Instructions per call counted by valgrind's callgrind (`--instr-atstart=no`): each path in its own "
        f"process, built as the in-process section builds it, {settings.warmup} calls of warm-up, then "
        f"instrumentation switched on (`callgrind_control -i on PID`, that process only) around {settings.calls:,} "
        "calls and off again (a multiple of half the journal's batch of "
        f"{BATCH:,} rows, so its batched writes are counted in proportion); the figure is the total over those "
        "calls divided by their number. Counts repeat "
        "to within about ±0.6 % whatever else the machine runs; they weigh every instruction alike, so they "
        "miss what memory access costs (the CPU-time ratios of the in-process section run higher)."
    ]


def _counted(measurement: str) -> str:
    """The in-process section's row, told apart from it in the combined table."""
    return f"{measurement}, in instructions"


def _pair(
    measurement: str,
    subject: str,
    baseline: str,
    target: float | None,
    counted: dict[str, float],
    failed: dict[str, str],
    note: str = "",
) -> Row:
    """Subject against baseline; a row without a target (``None``) is context and says nothing is met."""
    wanted = "—" if target is None else f"≤ {target}×"
    if subject not in counted or baseline not in counted:
        return not_available(SECTION, measurement, failed.get(subject) or failed[baseline], wanted)
    ratio = counted[subject] / counted[baseline]
    return Row(
        SECTION,
        measurement,
        _instructions(counted[subject]),
        _instructions(counted[baseline]),
        ratio,
        wanted,
        None if target is None else ratio <= target,
        note=note,
    )


def _share(name: str, counted: dict[str, float]) -> str:
    if name in counted and "mock-transport" in counted:
        return f"{counted[name] / counted['mock-transport']:.2f}× a bare MockTransport call"
    return ""


def _instructions(per_call: float) -> str:
    return f"{per_call / 1000:,.0f}k instr/call"


def main(argv: Sequence[str]) -> int:
    if len(argv) != 3 or argv[0] not in PATHS:
        print(f"usage: python -m bench._instructions {{{','.join(PATHS)}}} WARMUP CALLS", file=sys.stderr)
        return 2
    child(argv[0], int(argv[1]), int(argv[2]))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
