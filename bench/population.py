"""How fast synthetic borrowers are made, against Faker: ``.venv/bin/python bench/population.py``.

Prints one table, all rows measured in this one run on this machine (CPU time, best of three repeats each):

- numeric fields only: ``Population.numbers(i)`` — resident ID, phone, card;
- full records: iterating a ``Population`` (names from the cached Faker pool), and ``borrower(i)`` in a
  shuffled order, as a shard or a lookup would;
- per-index ``random.Random(seed * K + i)`` driving ``resident_id``/``mobile``/``unionpay_card``: the
  design the population does not use;
- Faker ``zh_CN`` per record, six fields (name, ssn, phone_number, credit_card_number, bank, address).

Runs in well under 30 s. Not a test: the machine's load changes the figures; compare rows, not runs.
``bench/run population`` runs the same measurements as a section of its table.
"""

from __future__ import annotations

import dataclasses
import json
import random
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

from simulator.domain import area_code, mobile, resident_id, unionpay_card
from simulator.population import Population

SEED = 20190514
REPEATS = 3
NUMERIC = "numeric fields only (Population.numbers)"


def best_rate(count: int, run: Callable[[int], object]) -> float:
    """Records per CPU second of the fastest of :data:`REPEATS` runs of ``run(count)``.

    CPU time of this process, as the in-process section measures: on a shared machine, wall time counts the
    moments another process has the core (the Faker baseline moved 1.6k-4.4k/s between runs that way)."""
    best = float("inf")
    for _ in range(REPEATS):
        start = time.process_time()
        run(count)
        best = min(best, time.process_time() - start)
    return count / best


def numeric_only(population: Population) -> Callable[[int], object]:
    def run(count: int) -> object:
        numbers = population.numbers
        for i in range(count):
            numbers(i)
        return None

    return run


def iterate_records(population: Population) -> Callable[[int], object]:
    def run(count: int) -> object:
        for _ in population.borrowers(0, count):
            pass
        return None

    return run


def random_access(population: Population) -> Callable[[int], object]:
    order = list(range(population.size))
    random.Random(SEED).shuffle(order)

    def run(count: int) -> object:
        borrower = population.borrower
        for i in order[:count]:
            borrower(i)
        return None

    return run


def per_index_random(count: int) -> object:
    birth = date(1990, 3, 7)
    for i in range(count):
        rng = random.Random(SEED * 1_000_003 + i)
        resident_id(rng, birth, area_code(rng), "M")
        mobile(rng)
        unionpay_card(rng)
    return None


def faker_records() -> Callable[[int], object]:
    from faker import Faker

    faker = Faker("zh_CN")
    faker.seed_instance(SEED)

    def run(count: int) -> object:
        for _ in range(count):
            faker.name()
            faker.ssn()
            faker.phone_number()
            faker.credit_card_number("unionpay")
            faker.bank()
            faker.address()
        return None

    return run


@dataclass(frozen=True, slots=True)
class Measured:
    """The rows of one run: (what, records, records/s), Faker's rate, and the one-off costs."""

    rows: list[tuple[str, int, float]]
    faker_rate: float
    setup_seconds: float
    first_seconds: float


def run(size: int = 200_000, faker_count: int = 2_000) -> Measured:
    """Measure every row on ``size`` borrowers (shuffled lookups on half of them, Faker on ``faker_count``)."""
    started = time.perf_counter()
    population = Population(SEED, size, recycled_share=0.02)
    setup = time.perf_counter() - started
    started = time.perf_counter()
    population.borrower(0)  # builds the name pool: imports Faker, makes 4,096 names
    first = time.perf_counter() - started

    faker_rate = best_rate(faker_count, faker_records())
    half, tenth = size // 2, size // 10
    rows = [
        (NUMERIC, size, best_rate(size, numeric_only(population))),
        ("full records, iterating (with names)", size, best_rate(size, iterate_records(population))),
        ("full records, borrower(i) shuffled order", half, best_rate(half, random_access(population))),
        ("per-index random.Random(seed*K+i), numeric", tenth, best_rate(tenth, per_index_random)),
        ("Faker zh_CN per record, 6 fields", faker_count, faker_rate),
    ]
    return Measured(rows, faker_rate, setup, first)


def main() -> None:
    if "--json" in sys.argv:  # how bench/run reads it: measured in a fresh process, so the one-off costs are real
        size = int(sys.argv[sys.argv.index("--json") + 1])
        print(json.dumps(dataclasses.asdict(run(size))))
        return
    size = 200_000
    measured = run(size)
    print(
        f"Population(seed={SEED}, size={size:,}): set-up {measured.setup_seconds * 1000:.1f} ms; "
        f"first borrower (builds the name pool) {measured.first_seconds:.2f} s"
    )
    print()
    print(f"| {'what':44} | {'records':>8} | {'records/s':>10} | {'× Faker':>8} |")
    print(f"|{'-' * 46}|{'-' * 9}:|{'-' * 11}:|{'-' * 9}:|")
    for what, count, rate in measured.rows:
        print(f"| {what:44} | {count:>8,} | {rate:>10,.0f} | {rate / measured.faker_rate:>8.1f} |")


if __name__ == "__main__":
    main()
