"""``lendsim serve``."""

from __future__ import annotations

import secrets
import shutil
import tempfile
import time
from datetime import datetime, timedelta
from pathlib import Path
from urllib.parse import urlsplit

import click
from click.core import ParameterSource

from simulator._yaml import YamlError, load_yaml, read_text
from simulator.cli._options import (
    client_timeout_option,
    contract_option,
    contracts_dir_option,
    load_partner_contracts,
    log_level_option,
)
from simulator.clock import HOLIDAY_SETS, Calendar
from simulator.core import CONTROL, DEFAULT_START, SigningConfig, record_start, replay, starting_point
from simulator.errors import ConfigError, LendsimError
from simulator.http import MIN_TOKEN, is_loopback, listen, serve
from simulator.journal import Journal, set_aside
from simulator.scenario import Rules, load_rules
from simulator.world import Simulator

__all__ = ["serve_command"]


def _parse_start(ctx: click.Context, param: click.Parameter, value: str | None) -> datetime:
    if value is None:
        return DEFAULT_START
    try:
        start = datetime.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(
            f"{value!r} is not an ISO-8601 instant; write e.g. 2019-05-10T00:00:00+08:00"
        ) from None
    return start  # naive: in the calendar's zone (read once the rules are)


def _calendar(rules: Rules | None, holidays: str | None) -> Calendar:
    """The rules file's calendar (Asia/Shanghai, mainland, by default), its holiday set as ``--calendar`` says."""
    calendar = rules.calendar if rules is not None else Calendar()
    if holidays is None:
        return calendar
    wanted = None if holidays == "none" else holidays
    if rules is not None and "calendar.holidays" in rules.given and calendar.holidays != wanted:
        raise ConfigError(
            f"--calendar {holidays} contradicts the rules file's calendar (holidays: {calendar.holidays or 'none'}); "
            "say it in one place",
            field="calendar",
        )
    return calendar.with_holidays(wanted)


#: Where ``lendsim serve`` keeps its journal when not told (``--journal``): a folder of its own under the system's
#: temporary directory, removed when the server stops.
TEMPORARY_PREFIX = "lendsim-serve-"


def _temporary_journal(*, fresh: bool, fsync: bool) -> Path:
    """A folder of its own for a journal that lives as long as the server (no ``--journal``).

    On disk rather than in memory: a journal in memory grew 73 → 1,112 MiB in a minute of wrk, on disk 74 → 520
    (issue #17): the rest is the world's state (docs/serving.md, "Latency and memory under load")."""
    if fresh or fsync:
        raise ConfigError(
            f"--{'fresh' if fresh else 'fsync'} is about the journal file; give one with --journal FILE",
            field="fresh" if fresh else "fsync",
        )
    return Path(tempfile.mkdtemp(prefix=TEMPORARY_PREFIX))


def _open_journal(path: Path, *, fresh: bool, fsync: bool) -> tuple[Journal, tuple[datetime, int] | None]:
    """The journal at ``path`` (``:memory:``: in memory), and the start and seed of the world it holds (None: a new
    one).

    With ``fresh``, a file already there is moved aside first."""
    if fresh:
        kept = set_aside(path)
        if kept is not None:
            click.echo(f"  the journal that was at {path} is kept as {kept}; a new world starts")
    journal = Journal(path, wall_clock=time.time, fsync=fsync)
    try:
        return journal, starting_point(journal)
    except BaseException:
        journal.close()
        raise


def _resumed_settings(point: tuple[datetime, int], start: datetime, seed: int, path: str) -> tuple[datetime, int]:
    """The journal's start and seed; an explicit --start or --seed must agree with them."""
    context = click.get_current_context()
    journal_start, journal_seed = point
    given = {
        "seed": (seed, journal_seed, str(journal_seed)),
        "start": (start, journal_start, journal_start.isoformat()),
    }
    for name, (value, recorded, shown) in given.items():
        if context.get_parameter_source(name) is not ParameterSource.DEFAULT and value != recorded:
            raise ConfigError(
                f"--{name} {value.isoformat() if isinstance(value, datetime) else value} differs from the "
                f"{shown} the world in {path} started with; it resumes with its own: drop --{name}, or start a new "
                "world with --fresh (the file is kept aside)",
                field=name,
            )
    return journal_start, journal_seed


def _start_journal(sim: Simulator, journal: Journal, *, resume: bool, deliveries: bool) -> None:
    """Rebuild the world the journal holds (``resume``) and mark where this server starts in it."""
    if not resume:
        record_start(sim, "serverStarted", deliveries=deliveries)
        journal.flush()
        return
    replayed = replay(sim, journal)
    record_start(sim, "serverStarted", deliveries=deliveries, resumed=True)
    interrupted = replayed.interrupt()
    journal.flush()
    state = sim.snapshot()["partners"].get("bank", {}).get("state", {})
    loans = f", {state['loans']:,} loans" if isinstance(state.get("loans"), int) else ""
    waiting = f"; {interrupted} deliveries cut off by the stop will be retried" if interrupted else ""
    click.echo(
        f"  resumed from {journal.path}: {replayed.entries:,} entries replayed ({replayed.requests:,} requests"
        f"{loans}), virtual time {sim.clock.now().isoformat()}{waiting}"
    )


@click.command("serve")
@click.option(
    "--host",
    default="127.0.0.1",
    show_default=True,
    help="Address to bind. Anything beyond loopback requires a control token (generated if not given).",
)
@click.option("--port", default=8080, show_default=True, type=click.IntRange(0, 65535))
@contracts_dir_option
@contract_option
@click.option(
    "--no-auth",
    is_flag=True,
    help="Answer a --contract's operations without the credentials its securitySchemes require (by default a "
    "request without them gets 401 with WWW-Authenticate, as the partner would answer).",
)
@click.option(
    "--credential",
    "credentials",
    multiple=True,
    metavar="SECRET",
    help="Accept only these credentials at a --contract's operations (repeatable): user:password for Basic, the "
    "token for Bearer, the key for an API key. Others of the right form get 401, as the partner would answer a "
    "wrong key (by default any credentials of the right form pass).",
)
@click.option(
    "--locale",
    default=None,
    help="Faker locale of the people, places and words generated for a --contract (e.g. en_GB, de_DE); by default "
    "zh_CN for a Chinese partner (a server under .cn, a title in Chinese), en_US otherwise. lendsim's own "
    "partners always generate zh_CN.",
)
@click.option("--seed", default=0, show_default=True, type=int, help="Seed for generated responses and random faults.")
@click.option(
    "--start", callback=_parse_start, help="Virtual start instant (ISO-8601; the calendar's zone if no offset)."
)
@click.option(
    "--calendar",
    "holidays",
    type=click.Choice([*HOLIDAY_SETS, "none"]),
    default=None,
    help="Business days: 'mainland' (statutory holidays and make-up working days, the default) or 'none' (weekends "
    "only). Every rule counted in working days follows it.",
)
@click.option(
    "--rules",
    "rules_path",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="A YAML file with the calendar, bank, bureau and sms blocks a scenario uses: time zone and extra "
    "holidays, grace / dispute answer / notice lead in calendar or working days, penalty rounding, batch times "
    "(docs/bank-day.md).",
)
@click.option(
    "--speed",
    type=click.FloatRange(min=0, min_open=True),
    default=None,
    help="Map real time onto virtual time at this factor (e.g. 3600: one virtual hour per second). "
    "Without it virtual time moves only through POST /_sim/clock/advance.",
)
@click.option(
    "--platform",
    "platform_url",
    default=None,
    help="Base URL of the platform under test: callbacks, notices and SMS receipts are POSTed to its receivers "
    "(paths from contracts/platform.yaml). Without it they are journaled as undeliverable.",
)
@click.option(
    "--journal",
    "journal_path",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="SQLite file for the journal, kept after the server stops. Every answer is in it before it leaves; a file "
    "that holds a journal already is replayed, so the world resumes where it stopped (see --fresh). Without it the "
    "journal is a temporary file, removed when the server stops (on disk, so the journal does not grow the server's "
    "memory; docs/serving.md); ':memory:' keeps it in memory instead (it grows with every request).",
)
@click.option(
    "--fsync",
    is_flag=True,
    help="With --journal: flush each commit to the disk, so acknowledged answers survive a power cut or an "
    "operating-system crash too, not only the server being killed (costs about half the throughput).",
)
@click.option(
    "--fresh",
    is_flag=True,
    help="With --journal: start a new world even if FILE holds one; the old file is kept as FILE.1 (.2, …).",
)
@click.option(
    "--control-token",
    envvar="LENDSIM_CONTROL_TOKEN",
    default=None,
    help="Bearer token required on /_sim (env LENDSIM_CONTROL_TOKEN), at least 16 characters.",
)
@click.option(
    "--signing",
    is_flag=True,
    help="Sign partner traffic (docs/signing.md): the bank refuses a request whose signature does not verify (401 "
    "naming the rule) and signs its callbacks and notices. Keys and window: the published test defaults, or "
    "--signing-file.",
)
@click.option(
    "--signing-file",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="A YAML mapping like a scenario's signing: section (app_id, algorithm, window, the secrets); implies "
    "--signing.",
)
@client_timeout_option(
    None,
    "How long the platform's HTTP client waits for an answer (e.g. PT5S): a latency fault that long or longer is "
    "served as a timeout, the request held until the client gives up. Without it a latency fault is answered at "
    "once, stamped that much later in virtual time (with --speed N: after the delay / N).",
)
@log_level_option
def serve_command(
    host: str,
    port: int,
    contracts_dir: Path | None,
    extra_contracts: tuple[Path, ...],
    no_auth: bool,
    credentials: tuple[str, ...],
    locale: str | None,
    seed: int,
    start: datetime,
    holidays: str | None,
    rules_path: Path | None,
    speed: float | None,
    platform_url: str | None,
    journal_path: Path | None,
    fsync: bool,
    fresh: bool,
    control_token: str | None,
    signing: bool,
    signing_file: Path | None,
    client_timeout: timedelta | None,
    log_level: str,
) -> None:
    """Serve the simulated partners over HTTP, one path prefix each (/bank, /bureau, /sms), with the
    control API under /_sim and each contract at /{partner}/openapi.json."""
    if platform_url is not None:
        parts = urlsplit(platform_url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ConfigError(
                f"--platform {platform_url!r} is not an http(s) URL with a host; write e.g. http://127.0.0.1:9000",
                field="platform",
            )
    if control_token is not None and len(control_token) < MIN_TOKEN:
        raise ConfigError(
            f"--control-token is {len(control_token)} characters; it must be at least {MIN_TOKEN} (anyone who can "
            "guess it drives the server); leave it out beyond loopback and one is generated, or make one with "
            "python -c 'import secrets; print(secrets.token_urlsafe(24))'",
            field="control-token",
        )
    if credentials and no_auth:
        raise ConfigError(
            "--credential names the only credentials to accept, --no-auth accepts requests without any; give one",
            field="credential",
        )
    if credentials and not extra_contracts:
        raise ConfigError(
            "--credential applies to the operations of a --contract, and none was given; add --contract FILE",
            field="credential",
        )
    if any(not credential for credential in credentials):
        raise ConfigError("--credential is empty; give the secret to accept, e.g. --credential AC123:token")
    rules = load_rules(rules_path) if rules_path is not None else None
    calendar = _calendar(rules, holidays)
    start = start if start.tzinfo is not None else start.replace(tzinfo=calendar.tz)
    generated = not is_loopback(host) and not control_token
    if generated:
        control_token = secrets.token_urlsafe(24)
    temporary = _temporary_journal(fresh=fresh, fsync=fsync) if journal_path is None else None
    path = temporary / "journal.sqlite" if temporary is not None else journal_path
    assert path is not None  # one of the two
    journal: Journal | None = None
    try:
        journal, point = _open_journal(path, fresh=fresh, fsync=fsync)
        if point is not None:
            start, seed = _resumed_settings(point, start, seed, journal.path)
        sim = Simulator(
            contracts=load_partner_contracts(contracts_dir),
            extra_contracts=extra_contracts,
            auth=not no_auth,
            credentials=credentials,
            locale=locale,
            start=start,
            seed=seed,
            calendar=calendar,
            journal=journal,
            wall_clock=time.time,
            control_token=control_token,
            bank=rules.bank if rules is not None else None,
            bureau=rules.bureau if rules is not None else None,
            sms=rules.sms if rules is not None else None,
        )
        signed = _signing(signing_file) if signing or signing_file is not None else None
        if signed is not None:
            sim.enable_signing(signed)
        sock = listen(host, port)  # before the banner: a port in use is one line and exit 2, not a false start
        port = sock.getsockname()[1]
        if temporary is None:  # a journal of the user's: it records where this server starts, to resume from
            _start_journal(sim, journal, resume=point is not None, deliveries=platform_url is not None)
        if generated:
            click.echo(
                f"Listening beyond loopback: the control API needs 'Authorization: Bearer {control_token}'", err=True
            )
        base = f"http://{host}:{port}"
        for name, contract in sim.contracts.items():
            click.echo(
                f"  {contract.title:<32} {base}/{name}   ({len(contract.operations)} operations, "
                f"contract at {base}/{name}/openapi.json)"
            )
        source = f", rules from {rules_path}" if rules_path is not None else ""
        click.echo(
            f"  calendar                         {calendar.name}, "
            f"holidays {calendar.holidays or 'none (weekends only)'}{source}"
        )
        mode = f"real time x{speed:g}" if speed else "manual (POST /_sim/clock/advance)"
        click.echo(
            f"  control API                      {base}/{CONTROL}   virtual time {sim.clock.now().isoformat()}, {mode}"
        )
        kept = "removed when the server stops; keep one with --journal FILE" if temporary is not None else "kept"
        click.echo(f"  journal                          {journal.path} ({kept})")
        if platform_url:
            click.echo(f"  deliveries to the platform at      {platform_url}")
        if signed is not None:
            click.echo(
                f"  signing                          {signed.algorithm}, app id {signed.app_id!r} key p1, "
                f"bank keys b1/b2, window {signed.window.total_seconds():g} s (docs/signing.md)"
            )
        serve(
            sim,
            host=host,
            port=port,
            speed=speed,
            platform_url=platform_url,
            log_level=log_level,
            sock=sock,
            client_timeout=client_timeout,
        )
    finally:
        if journal is not None:
            journal.close()
        if temporary is not None:
            shutil.rmtree(temporary, ignore_errors=True)


def _signing(path: Path | None) -> SigningConfig:
    """``--signing``'s keys: the defaults, or the mapping in ``path``; ConfigError naming the file and field."""
    if path is None:
        return SigningConfig()
    try:
        text = read_text(path)
        data = load_yaml(text).data
    except (LendsimError, YamlError, OSError) as exc:
        raise ConfigError(f"--signing-file {path}: {exc}", field="signing-file") from None
    try:
        return SigningConfig.from_mapping({} if data is None else data)
    except ConfigError as exc:
        raise ConfigError(f"--signing-file {path}: {exc}", field=exc.field) from None
