"""The running account every event posts to: balances in integer paise, transactions in statement order."""

from __future__ import annotations

import math

from collections import namedtuple
from random import Random
from typing import Callable, Dict, List

from .profile import Profile

# amount and balance are integer paise; day is a date ordinal. tag carries the salary month label (Mon-YYYY) of a
# salary credit, "business" for business turnover, else None. rkey groups recurring transactions.
Txn = namedtuple(
    "Txn",
    "day credit amount balance note chq channel description merchant_category category merchant hash rkey tag",
)


_POW10 = tuple(10**i for i in range(17))


class Ledger:
    """Posts transactions and keeps the balance; amounts are drawn relative to the account's income level."""

    def __init__(self, rng: Random, profile: Profile, debit_unit: float, credit_unit: float) -> None:
        self.rng = rng
        self.p = profile
        self.balance = profile.opening
        self.floor = -profile.od_limit
        self.debit_unit = debit_unit
        self.credit_unit = credit_unit
        self.txns: List[Txn] = []
        self.pending: Dict[int, List[Callable]] = {}
        self._bits = rng.getrandbits
        self._append = self.txns.append

    def post(self, day: int, credit: bool, amount: int, note: str, channel: str, category: str, merchant: str = "",
             description: str = "", merchant_category: str = "", chq: str = "", rkey=None, tag=None) -> None:
        self.balance += amount if credit else -amount
        self._append(Txn(day, credit, amount, self.balance, note, chq, channel, description, merchant_category,
                         category, merchant, "%032x" % self._bits(128), rkey, tag))

    def room(self) -> int:
        """How much can be debited without passing the overdraft floor (0 for a plain account)."""
        return self.balance - self.floor

    def money(self, mean: float) -> int:
        """An amount around `mean` paise: mostly whole rupees, some round tens, some with paise."""
        rng = self.rng
        x = int(mean * math.exp(rng.gauss(0.0, 0.6)))
        r = rng.random()
        if r < 0.5:
            return max(100, x // 100 * 100)
        if r < 0.65:
            return max(1000, x // 1000 * 1000)
        return max(100, x)

    def affordable(self, want: int) -> int:
        """`want`, or a part of what is left when it does not fit; 0 when nearly nothing is left."""
        room = self.balance - self.floor
        if want <= room:
            return want
        if room < 20_000:
            return 0
        return int(room * self.rng.uniform(0.3, 0.8)) // 100 * 100

    def later(self, day: int, event: Callable) -> None:
        self.pending.setdefault(day, []).append(event)

    def ref(self, digits: int = 12) -> int:
        """A reference number with exactly `digits` digits."""
        low = _POW10[digits - 1]
        return low + self._bits(50) % (_POW10[digits] - low)
