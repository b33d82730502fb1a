"""Synthetic borrowers: records, phone-number ownership history, and a seeded, shardable population.

How a borrower is made. ``Population(seed, size)`` turns the seed into three keyed permutations, one per
numeric field, so borrower ``i`` is a function of ``(seed, as_of, i)`` alone: any shard can build any slice
in O(1) per borrower, in any order, on any day (nothing reads the wall clock).

- **Resident ID**: ``i`` is permuted over every (county, birth date, sequence) combination — 302 counties
  × the birth dates of 18- to 65-year-olds on ``as_of`` × 998 sequences — so **no two borrowers share an
  ID**; the sequence's parity gives the sex.
- **Phone**: ``i`` is permuted over every allowed number (549 prefixes × 10⁷), so numbers are unique too.
- **Card**: ``i`` is permuted over 10¹⁶ and written as ``62`` + 16 digits + Luhn digit (19 digits, unique).
- **Name**: from a pool of 2,048 male and 2,048 female names drawn once from a seeded Faker ``zh_CN`` and
  shipped as ``_names_male.txt`` / ``_names_female.txt``, picked by the sex; names repeat, as real ones do.

A permutation is ``x ↦ a·(x + b)³ mod p`` for a prime ``p ≡ 2 (mod 3)`` just above the domain size (cubing
is then a bijection), cycle-walked back into the domain; ``a`` and ``b`` come from ``random.Random(seed)``.
It is cheap (one modular power), exactly invertible (so a phone or an ID number leads back to its borrower)
and mixes well enough that neighbouring borrowers look unrelated. Seeding a ``random.Random(seed*K + i)`` per
borrower instead was measured 4–5 times slower, and it cannot promise unique IDs; see ``bench/population.py``.

Recycled numbers. With ``recycled_share > 0``, that share of borrowers (chosen by a hash of ``(seed, i)``)
had their number cancelled 30 to 269 days before ``as_of``; after ``cooldown_days`` (default 90, the
reported practice) plus up to 14 days it was reissued to a stranger ``S000123`` who is not a borrower.
:meth:`Population.phone_history` and :class:`PhoneBook` hold the whole ownership history, so an SMS sent
after the reissue reaches the stranger. Only recycled numbers are modelled: no stale copies of a number at
one party, no second number per borrower.
"""

from __future__ import annotations

import functools
import random
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, fields
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Final, NamedTuple

from simulator.domain import AREA_CODES, ID_CHECK_CHARS, ID_WEIGHTS, MOBILE_PREFIXES
from simulator.errors import ConfigError
from simulator.masking import mask_phone
from simulator.types import Sex

__all__ = ["DEFAULT_AS_OF", "Borrower", "PhoneBook", "Population", "Tenure"]

DEFAULT_AS_OF: Final = date(2019, 5, 1)
_MIN_AGE: Final = 18
_MAX_AGE: Final = 65
_SEQUENCES: Final = 998  # 001..998: odd for men, even for women
_CARD_DOMAIN: Final = 10**16  # the 16 random digits between "62" and the check digit
_NAME_POOL: Final = 2048  # names per sex; a power of two (picked with a bit mask)
_NAME_SEED: Final = 20190514
_NAME_FILES: Final = Path(__file__).resolve().parent
_M64: Final = (1 << 64) - 1
_GOLDEN: Final = 0x9E3779B97F4A7C15


@dataclass(frozen=True, slots=True)
class Borrower:
    """One synthetic borrower. ``sex`` is "M" or "F" and agrees with the ID's sequence; ``birth`` with its date."""

    borrower_id: str
    name: str
    id_number: str
    phone: str
    card: str
    birth: date
    sex: Sex


class Tenure(NamedTuple):
    """One period of a phone number's life: ``owner`` held it from ``start`` (inclusive) to ``end`` (exclusive).

    ``owner`` is ``None`` while the number is unassigned (the cool-down after a cancellation); ``end`` is
    ``None`` while the owner still holds it.
    """

    owner: str | None
    start: date
    end: date | None


class PhoneBook(Mapping[str, tuple[Tenure, ...]]):
    """Phone number → its ownership history, oldest first; :meth:`owner_at` answers "who gets an SMS sent then".

    Build one from ``{phone: [(owner | None, start, end | None), ...]}``; the periods of a number must be in
    order and must not overlap, and only the last may be open (``end=None``). Gaps are allowed.
    """

    __slots__ = ("_histories",)

    def __init__(self, histories: Mapping[str, Iterable[tuple[str | None, date, date | None]]] | None = None) -> None:
        self._histories: dict[str, tuple[Tenure, ...]] = {
            phone: _checked_history(phone, history) for phone, history in (histories or {}).items()
        }

    def __getitem__(self, phone: str) -> tuple[Tenure, ...]:
        return self._histories[phone]

    def __iter__(self) -> Iterator[str]:
        return iter(self._histories)

    def __len__(self) -> int:
        return len(self._histories)

    def __repr__(self) -> str:
        return f"<PhoneBook of {len(self._histories)} numbers>"  # no numbers: reprs end up in logs

    def owner_at(self, phone: str, when: date) -> str | None:
        """Who holds ``phone`` on ``when`` (a datetime counts by its own date); ``None`` if nobody we know does."""
        return _owner_at(self._histories.get(phone, ()), when)


def _owner_at(history: Iterable[Tenure], when: date) -> str | None:
    day = when.date() if isinstance(when, datetime) else when
    for owner, start, end in history:
        if start <= day and (end is None or day < end):
            return owner
    return None


def _checked_history(phone: str, history: Iterable[tuple[str | None, date, date | None]]) -> tuple[Tenure, ...]:
    periods = tuple(history)
    for n, period in enumerate(periods, 1):
        if not isinstance(period, tuple) or len(period) != 3:
            raise ConfigError(
                f"phone {mask_phone(phone)!r}, period {n} {period!r}: give it as (owner or None, start, end or None)",
                field="phone_book",
            )
    tenures = tuple(Tenure(*period) for period in periods)
    for n, (owner, start, end) in enumerate(tenures, 1):
        where = f"phone {mask_phone(phone)!r}, period {n} {(owner, start, end)!r}"
        if not isinstance(start, date) or not (end is None or isinstance(end, date)):
            raise ConfigError(f"{where}: start and end must be dates (end None while still held)", field="phone_book")
        if end is not None and end <= start:
            raise ConfigError(f"{where}: ends on or before it starts; give an end after {start}", field="phone_book")
        if n < len(tenures) and end is None:
            raise ConfigError(f"{where}: only the last period may be open (end=None); close it", field="phone_book")
        if n > 1 and (previous_end := tenures[n - 2].end) is not None and start < previous_end:
            raise ConfigError(
                f"{where}: starts before the previous period ends ({previous_end}); periods must not overlap",
                field="phone_book",
            )
    return tenures


# ---------------------------------------------------------------------------------------------------------
# Keyed permutations


def _is_prime(n: int) -> bool:
    """Deterministic Miller–Rabin, exact below 3.3·10²⁴."""
    bases = (2, 3, 5, 7, 11, 13, 17, 19, 23, 29, 31, 37, 41)
    if n < 2:
        return False
    for q in bases:
        if n % q == 0:
            return n == q
    d, s = n - 1, 0
    while d % 2 == 0:
        d, s = d // 2, s + 1
    for a in bases:
        x = pow(a, d, n)
        if x in (1, n - 1):
            continue
        for _ in range(s - 1):
            x = x * x % n
            if x == n - 1:
                break
        else:
            return False
    return True


@functools.lru_cache(maxsize=32)
def _cube_prime(n: int) -> int:
    """The smallest prime ``p ≥ n`` with ``p ≡ 2 (mod 3)``, so that cubing permutes ``range(p)``."""
    p = max(n, 5)
    while p % 3 != 2 or not _is_prime(p):
        p += 1
    return p


class _Shuffle:
    """A keyed permutation of ``range(n)``: ``x ↦ a·(x + b)³ mod p``, repeated while the result is ``≥ n``."""

    __slots__ = ("a", "a_inverse", "b", "cube_root", "n", "p")

    def __init__(self, n: int, key: int) -> None:
        p = _cube_prime(n)
        rng = random.Random(key)
        self.n = n
        self.p = p
        self.b = rng.randrange(p)
        self.a = rng.randrange(1, p)
        self.a_inverse = pow(self.a, -1, p)
        self.cube_root = pow(3, -1, p - 1)

    def __call__(self, x: int) -> int:
        n, p, a, b = self.n, self.p, self.a, self.b
        while True:
            x = pow(x + b, 3, p) * a % p
            if x < n:
                return x

    def inverse(self, y: int) -> int:
        n, p = self.n, self.p
        while True:
            y = (pow(y * self.a_inverse % p, self.cube_root, p) - self.b) % p
            if y < n:
                return y


def _splitmix64(x: int) -> int:
    x = (x + _GOLDEN) & _M64
    x = ((x ^ (x >> 30)) * 0xBF58476D1CE4E5B9) & _M64
    x = ((x ^ (x >> 27)) * 0x94D049BB133111EB) & _M64
    return x ^ (x >> 31)


# ---------------------------------------------------------------------------------------------------------
# Tables, built once


def _id_weight(text: str, offset: int) -> int:
    """Σ digit·weight of ``text`` placed at ``offset`` in the first 17 ID characters, modulo 11."""
    return sum(int(d) * ID_WEIGHTS[offset + j] for j, d in enumerate(text)) % 11


def _luhn_chunk(k: int) -> int:
    """Luhn sum of the 4 digits of ``k`` when its last digit sits at an even distance from the check digit."""
    digits = [int(d) for d in reversed(f"{k:04d}")]
    return sum(digit if j % 2 else (2 * digit if digit < 5 else 2 * digit - 9) for j, digit in enumerate(digits))


_AREA_WEIGHTS: Final = tuple(_id_weight(code, 0) for code in AREA_CODES)
_SEQUENCE_TEXT: Final = tuple(f"{k + 1:03d}" for k in range(_SEQUENCES))
_SEQUENCE_WEIGHTS: Final = tuple(_id_weight(text, 14) for text in _SEQUENCE_TEXT)
_CHECK_BY_SUM: Final = tuple(ID_CHECK_CHARS[r % 11] for r in range(33))  # three weights, each < 11
_LUHN_CHUNKS: Final = tuple(_luhn_chunk(k) for k in range(10_000))
_CARD_PREFIX_LUHN: Final = 6 + 4  # "62" in front of 16 digits: the 6 counts as is, the 2 doubled
# A phone or a card is written as one int, which str() turns into digits faster than pieces are joined;
# no leading zero is lost, since every prefix starts with "1" and every card with "62".
_PHONE_BASES: Final = tuple(int(prefix) * 10_000_000 for prefix in MOBILE_PREFIXES)
_CARD_BASE: Final = 62 * 10 * _CARD_DOMAIN  # "62", then 16 digits, then the check digit
_AREA_INDEX: Final = {code: a for a, code in enumerate(AREA_CODES)}
_PREFIX_INDEX: Final = {prefix: j for j, prefix in enumerate(MOBILE_PREFIXES)}
_SEXES: Final[tuple[Sex, Sex]] = ("M", "F")


def _years_before(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year - years)
    except ValueError:  # 29 February in a year without one
        return day.replace(year=day.year - years, day=28)


class _Births(NamedTuple):
    first: date
    days: tuple[date, ...]
    text: tuple[str, ...]
    weights: tuple[int, ...]


@functools.lru_cache(maxsize=8)
def _births(as_of: date) -> _Births:
    """Every birth date of someone aged 18 to 65 on ``as_of``, with its ID text and check weight."""
    first = _years_before(as_of, _MAX_AGE + 1) + timedelta(days=1)
    last = _years_before(as_of, _MIN_AGE)
    days = tuple(first + timedelta(days=k) for k in range((last - first).days + 1))
    text = tuple(f"{d.year:04d}{d.month:02d}{d.day:02d}" for d in days)
    # The weight of YYYYMMDD is that of YYYY, MM and DD in their places (all mod 11): ~17,500 dates from a few
    # dozen parts, rather than digit by digit (a replay's one-off 0.04 s).
    years = {year: _id_weight(f"{year:04d}", 6) for year in range(first.year, last.year + 1)}
    months = {month: _id_weight(f"{month:02d}", 10) for month in range(1, 13)}
    month_days = {day: _id_weight(f"{day:02d}", 12) for day in range(1, 32)}
    weights = tuple((years[d.year] + months[d.month] + month_days[d.day]) % 11 for d in days)
    return _Births(first, days, text, weights)


@functools.cache
def _name_pools() -> tuple[tuple[str, ...], tuple[str, ...]]:
    """2,048 male and 2,048 female names, read once per process from the files :func:`_faker_name_pools` wrote.

    Shipped rather than drawn at run time: importing Faker and drawing them cost a replay ~0.15 s of CPU (more
    without bytecode caches); tests/population checks the files still are what Faker draws.
    """
    return _read_names(_NAME_FILES / "_names_male.txt"), _read_names(_NAME_FILES / "_names_female.txt")


def _read_names(path: Path) -> tuple[str, ...]:
    names = tuple(path.read_text(encoding="utf-8").splitlines())
    if len(names) != _NAME_POOL:
        raise RuntimeError(f"{path} holds {len(names)} names, not {_NAME_POOL}: the lendsim installation is damaged")
    return names


def _faker_name_pools() -> tuple[tuple[str, ...], tuple[str, ...]]:
    """The name pools as drawn from a seeded Faker ``zh_CN``: what the name files hold (how they were made)."""
    from faker import Faker  # imported late: it takes a few tenths of a second

    faker = Faker("zh_CN")
    faker.seed_instance(_NAME_SEED)
    male = tuple(faker.last_name() + faker.first_name_male() for _ in range(_NAME_POOL))
    female = tuple(faker.last_name() + faker.first_name_female() for _ in range(_NAME_POOL))
    return male, female


def _borrower_maker() -> Callable[[str, str, str, str, str, date, Sex], Borrower]:
    """``Borrower(...)`` without the frozen ``__init__``, which sets each field through ``object.__setattr__``.

    Writing the slots through their descriptors is about twice as fast; the result is the same frozen object.
    """
    setters = [getattr(Borrower, field.name).__set__ for field in fields(Borrower)]
    set0, set1, set2, set3, set4, set5, set6 = setters
    new = object.__new__

    def make(borrower_id: str, name: str, id_number: str, phone: str, card: str, birth: date, sex: Sex) -> Borrower:
        borrower = new(Borrower)
        set0(borrower, borrower_id)
        set1(borrower, name)
        set2(borrower, id_number)
        set3(borrower, phone)
        set4(borrower, card)
        set5(borrower, birth)
        set6(borrower, sex)
        return borrower

    return make


_make_borrower: Final = _borrower_maker()

# (id number, phone, card, birth-day index, sequence index, card value)
_Fields = tuple[str, str, str, int, int, int]


def _generator(births: _Births, ids: _Shuffle, phones: _Shuffle, cards: _Shuffle) -> Callable[[int], _Fields]:
    """The numeric fields of borrower ``i``; everything it needs is bound locally, for speed.

    The three permutations are those of :class:`_Shuffle`, written out: ``a·t³ mod p`` as one product and one
    remainder is faster than ``pow(t, 3, p)·a mod p`` for the 33-bit ID and phone primes; for the 54-bit card
    prime, reducing ``t²`` and ``a·t`` before the last product is. ``//`` and ``%`` are a little faster than
    ``divmod``. ``test_the_generator_agrees_with_the_plain_definitions`` holds all this to the plain forms.
    """
    areas, area_weights, n_areas = AREA_CODES, _AREA_WEIGHTS, len(AREA_CODES)
    day_text, day_weights, n_days = births.text, births.weights, len(births.days)
    sequences, sequence_weights, checks = _SEQUENCE_TEXT, _SEQUENCE_WEIGHTS, _CHECK_BY_SUM
    phone_bases, n_prefixes = _PHONE_BASES, len(MOBILE_PREFIXES)
    luhn, card_luhn, card_base = _LUHN_CHUNKS, _CARD_PREFIX_LUHN, _CARD_BASE
    id_n, id_p, id_a, id_b = ids.n, ids.p, ids.a, ids.b
    phone_n, phone_p, phone_a, phone_b = phones.n, phones.p, phones.a, phones.b
    card_n, card_p, card_a, card_b = cards.n, cards.p, cards.a, cards.b

    def generate(i: int) -> _Fields:
        x = i + id_b
        x = x * x * x * id_a % id_p
        while x >= id_n:  # cycle-walk back into the domain (rare: p is just above n)
            x += id_b
            x = x * x * x * id_a % id_p
        area = x % n_areas
        x //= n_areas
        day = x % n_days
        sequence = x // n_days
        id_number = (
            f"{areas[area]}{day_text[day]}{sequences[sequence]}"
            f"{checks[area_weights[area] + day_weights[day] + sequence_weights[sequence]]}"
        )
        y = i + phone_b
        y = y * y * y * phone_a % phone_p
        while y >= phone_n:
            y += phone_b
            y = y * y * y * phone_a % phone_p
        phone = f"{phone_bases[y % n_prefixes] + y // n_prefixes}"
        c = i + card_b
        c = c * c % card_p * (c * card_a % card_p) % card_p
        while c >= card_n:
            c += card_b
            c = c * c % card_p * (c * card_a % card_p) % card_p
        high = c // 100_000_000
        low = c % 100_000_000
        luhn_sum = card_luhn + luhn[high // 10_000] + luhn[high % 10_000] + luhn[low // 10_000] + luhn[low % 10_000]
        card = f"{card_base + 10 * c + -luhn_sum % 10}"
        return id_number, phone, card, day, sequence, c

    return generate


# ---------------------------------------------------------------------------------------------------------
# The population


class Population:
    """``size`` synthetic borrowers, a pure function of ``(seed, as_of)``; borrower ``i`` is built in O(1).

    ``Population(seed, 1000).borrower(7)`` equals ``Population(seed, 10).borrower(7)`` and does not depend
    on the day it runs or on ``recycled_share`` (which only changes phone histories), so shards may build
    any slice with :meth:`borrowers`. ``as_of`` fixes the ages (18 to 65 that day) and so the IDs.
    """

    __slots__ = (
        "_births",
        "_generate",
        "_history_key",
        "_ids",
        "_phones",
        "_recycle_below",
        "as_of",
        "cooldown_days",
        "recycled_share",
        "seed",
        "size",
    )

    def __init__(
        self,
        seed: int,
        size: int,
        *,
        as_of: date = DEFAULT_AS_OF,
        recycled_share: float = 0.0,
        cooldown_days: int = 90,
    ) -> None:
        if isinstance(seed, bool) or not isinstance(seed, int):
            raise ConfigError(f"seed {seed!r} is not an integer; pass an int such as 20190514", field="seed")
        if isinstance(as_of, datetime) or not isinstance(as_of, date) or as_of.year < 1900:
            raise ConfigError(
                f"as_of {as_of!r} is not a date from 1900 on; pass a datetime.date such as date(2019, 5, 1)",
                field="as_of",
            )
        if isinstance(recycled_share, bool) or not isinstance(recycled_share, int | float):
            raise ConfigError(
                f"recycled_share {recycled_share!r} is not a number; pass 0.0 to 1.0", field="recycled_share"
            )
        if not 0.0 <= recycled_share <= 1.0:
            raise ConfigError(
                f"recycled_share {recycled_share!r} is outside 0.0–1.0; pass the share of borrowers whose number "
                "was recycled, e.g. 0.02",
                field="recycled_share",
            )
        if isinstance(cooldown_days, bool) or not isinstance(cooldown_days, int) or cooldown_days < 0:
            raise ConfigError(
                f"cooldown_days {cooldown_days!r} is not a whole number of days ≥ 0; the reported practice is 90",
                field="cooldown_days",
            )
        births = _births(as_of)
        ids_domain = len(AREA_CODES) * len(births.days) * _SEQUENCES
        phones_domain = len(MOBILE_PREFIXES) * 10_000_000
        capacity = min(ids_domain, phones_domain)
        if isinstance(size, bool) or not isinstance(size, int) or not 0 <= size <= capacity:
            raise ConfigError(
                f"size {size!r} is not a number of borrowers from 0 to {capacity:,} (the distinct IDs and phone "
                "numbers there are to give); pass an int in that range",
                field="size",
            )
        self.seed: Final = seed
        self.size: Final = size
        self.as_of: Final = as_of
        self.recycled_share: Final = float(recycled_share)
        self.cooldown_days: Final = cooldown_days
        keys = random.Random(seed)
        id_key, phone_key, card_key, self._history_key = (keys.getrandbits(128) for _ in range(4))
        self._births = births
        self._ids = _Shuffle(ids_domain, id_key)
        self._phones = _Shuffle(phones_domain, phone_key)
        self._generate = _generator(births, self._ids, self._phones, _Shuffle(_CARD_DOMAIN, card_key))
        self._recycle_below = round(self.recycled_share * (1 << 20))

    def __repr__(self) -> str:
        return (
            f"Population(seed={self.seed!r}, size={self.size!r}, as_of={self.as_of!r}, "
            f"recycled_share={self.recycled_share!r}, cooldown_days={self.cooldown_days!r})"
        )

    def __len__(self) -> int:
        return self.size

    def __iter__(self) -> Iterator[Borrower]:
        return self.borrowers()

    def _index_error(self, i: int) -> IndexError:
        return IndexError(f"borrower index {i!r} is outside this population of {self.size}; use 0 to {self.size - 1}")

    def _range(self, start: int, stop: int | None) -> range:
        stop = self.size if stop is None else stop
        if not 0 <= start <= stop <= self.size:
            raise ConfigError(
                f"range {start!r}..{stop!r} is not within this population of {self.size}; "
                f"use 0 <= start <= stop <= {self.size}",
                field="range",
            )
        return range(start, stop)

    def borrower(self, i: int) -> Borrower:
        """Borrower number ``i`` (0-based): the same record for the same ``(seed, as_of, i)``, in any order."""
        if not 0 <= i < self.size:
            raise self._index_error(i)
        id_number, phone, card, day, sequence, c = self._generate(i)
        sex = sequence & 1
        name = _name_pools()[sex][(c >> 20) & (_NAME_POOL - 1)]
        return _make_borrower(f"B{i:06d}", name, id_number, phone, card, self._births.days[day], _SEXES[sex])

    def borrowers(self, start: int = 0, stop: int | None = None) -> Iterator[Borrower]:
        """Borrowers ``start`` to ``stop - 1`` (default: all), built one at a time; a shard's slice."""
        return self._borrowers(self._range(start, stop))

    def _borrowers(self, indices: range) -> Iterator[Borrower]:
        generate, days, make = self._generate, self._births.days, _make_borrower
        male, female = _name_pools()
        pools = (male, female)
        mask = _NAME_POOL - 1
        for i in indices:
            id_number, phone, card, day, sequence, c = generate(i)
            sex = sequence & 1
            yield make(f"B{i:06d}", pools[sex][(c >> 20) & mask], id_number, phone, card, days[day], _SEXES[sex])

    def numbers(self, i: int) -> tuple[str, str, str]:
        """``(id_number, phone, card)`` of borrower ``i`` without building the record (no names needed)."""
        if not 0 <= i < self.size:
            raise self._index_error(i)
        id_number, phone, card, _, _, _ = self._generate(i)
        return id_number, phone, card

    # -- phone numbers -----------------------------------------------------------------------------------

    def phone_history(self, i: int) -> tuple[Tenure, ...]:
        """The ownership history of borrower ``i``'s number, oldest first (see the module docstring)."""
        if not 0 <= i < self.size:
            raise self._index_error(i)
        h = _splitmix64((self._history_key + i * _GOLDEN) & _M64)
        x = self._ids(i) // len(AREA_CODES)
        birth = self._births.days[x % len(self._births.days)]
        issued = max(self.as_of - timedelta(days=400 + (h >> 20) % 3000), _years_before(birth, -16))
        owner = f"B{i:06d}"
        if (h & 0xFFFFF) >= self._recycle_below:
            return (Tenure(owner, issued, None),)
        cancelled = self.as_of - timedelta(days=30 + (h >> 32) % 240)
        reissued = cancelled + timedelta(days=self.cooldown_days + (h >> 40) % 15)
        stranger = Tenure(f"S{i:06d}", reissued, None)
        if reissued == cancelled:
            return Tenure(owner, issued, cancelled), stranger
        return Tenure(owner, issued, cancelled), Tenure(None, cancelled, reissued), stranger

    def phone_book(self, start: int = 0, stop: int | None = None) -> PhoneBook:
        """The phone histories of borrowers ``start`` to ``stop - 1`` (default: all) as a :class:`PhoneBook`."""
        indices = self._range(start, stop)
        generate = self._generate
        return PhoneBook({generate(i)[1]: self.phone_history(i) for i in indices})

    def index_of_phone(self, phone: str) -> int | None:
        """The borrower whose number ``phone`` is or was, or ``None`` if it is not one of this population's."""
        prefix = _PREFIX_INDEX.get(phone[:4])
        if prefix is None or len(phone) != 11 or not phone.isascii() or not phone[4:].isdigit():
            return None
        i = self._phones.inverse(int(phone[4:]) * len(MOBILE_PREFIXES) + prefix)
        return i if i < self.size else None

    def owner_at(self, phone: str, when: date) -> str | None:
        """Who holds ``phone`` on ``when``: a borrower ``B…``, a stranger ``S…`` after a reissue, or ``None``.

        ``None`` also for a number in its cool-down and for any number this population never had.
        """
        i = self.index_of_phone(phone)
        return None if i is None else _owner_at(self.phone_history(i), when)

    def index_of_id(self, id_number: str) -> int | None:
        """The borrower with resident ID ``id_number``, or ``None`` if nobody in this population has it."""
        area = _AREA_INDEX.get(id_number[:6])
        if area is None or len(id_number) != 18 or not id_number.isascii() or not id_number[6:17].isdigit():
            return None
        births = self._births
        try:
            day = (date(int(id_number[6:10]), int(id_number[10:12]), int(id_number[12:14])) - births.first).days
        except ValueError:
            return None
        sequence = int(id_number[14:17]) - 1
        if not (0 <= day < len(births.days) and 0 <= sequence < _SEQUENCES):
            return None
        expected = _CHECK_BY_SUM[_AREA_WEIGHTS[area] + births.weights[day] + _SEQUENCE_WEIGHTS[sequence]]
        if id_number[17] != expected:
            return None
        i = self._ids.inverse((sequence * len(births.days) + day) * len(AREA_CODES) + area)
        return i if i < self.size else None
