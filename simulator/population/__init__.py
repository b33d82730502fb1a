"""Synthetic people: borrowers and who owns which number when.

Everything is made up, seeded and independent of the wall clock: a ``Population(seed, size)`` gives the same
borrowers on every machine and every day, and any slice of it can be built on its own (sharding). Their resident
IDs, mobile numbers and cards are the values :mod:`simulator.domain` defines. No real personal data, ever; logs
and reports show these numbers only through :mod:`simulator.masking`.
"""

from __future__ import annotations

from simulator.population._people import DEFAULT_AS_OF, Borrower, PhoneBook, Population, Tenure

__all__ = [
    "DEFAULT_AS_OF",
    "Borrower",
    "PhoneBook",
    "Population",
    "Tenure",
]
