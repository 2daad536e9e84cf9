"""Electricity prices (yuan/kWh). Residential tiers are monthly shares of the usual annual tiers
(2160 / 3360 kWh a year); the numbers are typical of eastern China and live in one place."""
from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

CENT = Decimal("0.01")
RESIDENTIAL_TIERS = ((Decimal(180), Decimal("0.4883")), (Decimal(280), Decimal("0.5383")),
                     (None, Decimal("0.7883")))
RESIDENTIAL_TOU = {"peak": Decimal("0.5883"), "valley": Decimal("0.3083")}
BUSINESS_FLAT = Decimal("0.7500")
BUSINESS_TOU = {"peak": Decimal("0.9800"), "valley": Decimal("0.3600")}


def money(value: Decimal | float | int | str) -> Decimal:
    return Decimal(str(value)).quantize(CENT, rounding=ROUND_HALF_UP)


def _tiered(kwh: Decimal) -> Decimal:
    total, lower = Decimal(0), Decimal(0)
    for upper, price in RESIDENTIAL_TIERS:
        top = kwh if upper is None else min(kwh, upper)
        if top > lower:
            total += (top - lower) * price
        if upper is None or kwh <= upper:
            break
        lower = upper
    return total


def bill_amount(category: str, tariff: str, kwh: Decimal, peak_kwh: Decimal) -> Decimal:
    """Amount of a monthly bill; tariff is tiered (居民), flat (非居民) or tou (either)."""
    kwh, peak_kwh = Decimal(kwh), Decimal(peak_kwh)
    if tariff == "tou":
        prices = RESIDENTIAL_TOU if category == "居民" else BUSINESS_TOU
        return money(peak_kwh * prices["peak"] + (kwh - peak_kwh) * prices["valley"])
    if category == "居民":
        return money(_tiered(kwh))
    return money(kwh * BUSINESS_FLAT)


def tou_saving(category: str, tariff: str, kwh: Decimal, peak_kwh: Decimal, shift: Decimal = Decimal("0.3")) -> Decimal:
    """Monthly saving if the customer moved to the time-of-use tariff and shifted `shift` of
    the peak consumption to the valley hours."""
    now = bill_amount(category, tariff, kwh, peak_kwh)
    after = bill_amount(category, "tou", kwh, Decimal(peak_kwh) * (1 - shift))
    return money(now - after)


def kwh_for_amount(category: str, tariff: str, amount: Decimal, peak_share: Decimal = Decimal("0.5")) -> Decimal:
    """A consumption (0.01 kWh resolution, as smart meters show) whose bill is exactly `amount`."""
    amount = money(amount)
    lo, hi = Decimal(0), Decimal(1_000_000)
    for _ in range(80):                       # bisection: the bill grows with kWh
        mid = ((lo + hi) / 2).quantize(CENT)
        if bill_amount(category, tariff, mid, mid * peak_share) < amount:
            lo = mid
        else:
            hi = mid
    for cand in (lo, hi, hi + CENT, lo - CENT):
        if bill_amount(category, tariff, cand, cand * peak_share) == amount:
            return cand
    raise ValueError(f"no consumption gives exactly {amount}")
