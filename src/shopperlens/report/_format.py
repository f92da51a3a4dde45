"""Number formatting for the report's templates (Jinja2 filters)."""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any


def _missing(value: Any) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def count(value: Any) -> str:
    """A whole number with thousands separators.

    >>> count(1234567)
    '1,234,567'
    """
    return "–" if _missing(value) else f"{int(round(float(value))):,}"


def pct(value: Any, digits: int = 1) -> str:
    """A share (0-1) as a percentage.

    >>> pct(0.1234)
    '12.3%'
    """
    return "–" if _missing(value) else f"{100 * float(value):.{digits}f}%"


SYMBOLS = {"EUR": "€", "USD": "$", "GBP": "£", "JPY": "¥", "INR": "₹"}


def money(value: Any, currency: str | None = None) -> str:
    """An amount in the data's currency: its symbol or ISO code when the run knows it
    (``--currency`` or the transactions' ``currency`` column), bare otherwise.

    >>> money(1234.5), money(12_345_678), money(2664449.99, "EUR"), money(-5, "CHF")
    ('1,234.50', '12.3 M', '€2,664,449.99', '-5.00 CHF')
    """
    if _missing(value):
        return "–"
    v = float(value)
    text = f"{v / 1e6:,.1f} M" if abs(v) >= 1e7 else f"{v:,.2f}"
    if not currency:
        return text
    symbol = SYMBOLS.get(currency.upper())
    if symbol:
        return f"-{symbol}{text[1:]}" if text.startswith("-") else f"{symbol}{text}"
    return f"{text} {currency.upper()}"


def number(value: Any, unit: str = "", currency: str | None = None) -> str:
    """A feature value, formatted for its catalogue unit (an amount in ``currency``).

    >>> number(0.456, "share"), number(12.0, "orders"), number(32.7, "days"), number(None)
    ('45.6%', '12', '33', '–')
    >>> number(189.78, "currency", "USD")
    '$189.78'
    """
    if _missing(value):
        return "–"
    v = float(value)
    if unit == "share":
        return pct(v)
    if unit == "currency":
        return money(v, currency)
    if unit == "days":
        return f"{v:,.0f}"
    if v == round(v) and abs(v) < 1e15:
        return f"{int(v):,}"
    return f"{v:,.2f}" if abs(v) < 100 else f"{v:,.0f}"


def score(value: Any, digits: int = 3) -> str:
    """A model-quality score with fixed digits.

    >>> score(0.31912), score(None)
    ('0.319', '–')
    """
    return "–" if _missing(value) else f"{float(value):.{digits}f}"


FILTERS: dict[str, Callable[..., str]] = {
    "count": count, "pct": pct, "money": money, "number": number, "score": score,
}
