"""``Simulator``: the engine with the built-in partners installed and wired — where users, the CLI and tests start."""

from __future__ import annotations

import dataclasses
import logging
from datetime import datetime
from typing import Any

from simulator._resources import bundled_contracts_dir
from simulator.clock import HolidayYears
from simulator.core import CONTROL, SIGNING_POINT, Engine, FaultAction
from simulator.openapi import load_contract
from simulator.partners.bank import BankConfig, BankModel
from simulator.partners.bureau import BureauConfig, BureauModel, Dispute
from simulator.partners.sms import SmsConfig, SmsGateway
from simulator.population import Population

__all__ = ["Simulator"]


#: The injection point of the platform's clock (see :meth:`Simulator.platform_now`).
PLATFORM_CLOCK = "platform.clock"
#: Where a warning about the calendar goes besides the journal.
LOG = logging.getLogger("lendsim")


class Simulator(Engine):
    """A funding bank, a credit bureau and an SMS gateway, from OpenAPI contracts, on one virtual clock.

    Takes the :class:`~simulator.core.Engine` keyword arguments (contracts, start, seed, calendar, journal,
    strict, …) and each partner's configuration. A partner whose contract is loaded (and offers the
    operations its model serves) gets its built-in behaviour; any other operation is answered as a mock from
    its contract. With a ``population``, SMS reach whoever holds each number on the day (recycled numbers).

    Wiring: the bank sends its overdue notices through the SMS gateway and furnishes the bureau (both through
    the engine, so faults and the journal apply); the gateway knows from the bank whom a notice was meant for;
    a dispute filed at the bureau reaches the bank, which answers it after its configured delay.

    When virtual time is in, or enters, a year the calendar has no holiday data for (it then counts weekends
    only), the simulator warns once: a ``holidayDataMissing`` event (partner ``_sim``) and a log warning.
    """

    def __init__(
        self,
        *,
        bank: BankConfig | None = None,
        bureau: BureauConfig | None = None,
        sms: SmsConfig | None = None,
        population: Population | None = None,
        **engine: Any,
    ) -> None:
        super().__init__(**engine)
        # The platform's own clock as the harness tells it (ticks, when a borrower paid): a ``skew`` fault
        # sets it ahead of (or behind) the partners'.
        self.declare_point(PLATFORM_CLOCK, ("skew",))
        # The bank's signing (signing on): a ``key_rotation`` fault makes it sign with its next key.
        self.declare_point(SIGNING_POINT, ("key_rotation",))
        self.population = population
        self.bank: BankModel | None = None
        self.bureau: BureauModel | None = None
        self.sms: SmsGateway | None = None
        if self._serves("bank"):
            self.bank = BankModel(self, bank or BankConfig())
            self.install(self.bank)
        if self._serves("bureau"):
            self.bureau = BureauModel(self, bureau)
            self.install(self.bureau)
        if self._serves("sms"):
            self.sms = SmsGateway(
                self,
                sms or SmsConfig(),
                population.owner_at if population is not None else None,
                addressee=self._addressee if self.bank is not None or population is not None else None,
            )
            self.install(self.sms)
        if self.bank is not None and self.bureau is not None:
            bank_model = self.bank

            def tell_the_bank(dispute: Dispute) -> None:
                bank_model.receive_dispute(dispute.dispute_id, dispute.acct_code, dispute.month)

            self.bureau.on_dispute(tell_the_bank)
        self._years = HolidayYears(self.clock, self._year_without_holidays)
        self._years.start()

    def reset(self, *, start: datetime | None = None, seed: int | None = None) -> None:
        super().reset(start=start, seed=seed)
        self._years.start()  # the clock's reset dropped the next New Year

    def _year_without_holidays(self, year: int) -> None:
        calendar = self.clock.calendar
        message = calendar.missing_holidays(year)
        data = {"year": year, "holidays": calendar.holidays, "message": message}
        self.event(CONTROL, "holidayDataMissing", data=data)
        LOG.warning("%s", message)

    def _addressee(self, out_id: str | None, phone: str) -> str | None:
        """Whom an SMS to ``phone`` was meant for: the bank knows its own notices (by OutId); for anything else,
        the borrower who gave that number (whoever holds it now)."""
        meant = self.bank.addressee(out_id, phone) if self.bank is not None else None
        if meant is None and self.population is not None:
            index = self.population.index_of_phone(phone)
            meant = self.population.borrower(index).borrower_id if index is not None else None
        return meant

    def platform_now(self, at: datetime | None = None) -> datetime:
        """What the platform's clock reads at ``at`` (default now): virtual time, plus a ``skew`` fault's offset."""
        at = self.clock.now() if at is None else at
        return at + self.faults.plan(PLATFORM_CLOCK, at, only=(FaultAction.SKEW,)).skew

    def settings(self) -> dict[str, str]:
        settings = super().settings()
        for name, config in (("bank", self.bank), ("bureau", self.bureau), ("sms", self.sms)):
            if config is not None:
                settings.update(_fields(name, config.config))
        return settings

    def _serves(self, partner: str) -> bool:
        """A built-in model fits a loaded contract that offers the built-in contract's operations (a team's own
        bank.yaml with other operations stays a mock)."""
        contract = self.contracts.get(partner)
        if contract is None:
            return False
        built_in = load_contract(bundled_contracts_dir() / f"{partner}.yaml")
        return set(built_in.operations.by_id) <= set(contract.operations.by_id)


def _fields(prefix: str, config: Any) -> dict[str, str]:
    """A partner's configuration (a dataclass), field by field as text."""
    return {f"{prefix}.{field.name}": str(getattr(config, field.name)) for field in dataclasses.fields(config)}
