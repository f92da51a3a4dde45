"""Realistic, seeded demo data of a multi-channel UK retailer, with planted personas.

:func:`generate` builds seven contract tables (``transactions``, ``events``, ``prices``,
``interactions``, ``customers``, ``identities``, ``calendar``: the promotions' days and
Christmas, a year ahead too) for two years ending at ``as_of``, with
November/December peaks, a weekly rhythm and promotions. Every customer belongs to one
of six planted personas (the ground truth a segmentation should recover), which differ
on several sources at once:

=================================  ==========================================================
persona                            what sets it apart
=================================  ==========================================================
High-value in-store loyalists      15-40 orders, high spend, store channel, recent, long
                                   tenure, few discounts and returns, delighted reviews
Discount-driven occasionals        2-5 orders mostly in promotions, ~40% of value discounted,
                                   online, many e-mail clicks
Lapsed big spenders                10-25 big orders, then silence for 6-11 months
App browsers who abandon carts     many app sessions, most carts abandoned, app orders
New customers                      first order in the last 1-3 months, 1-2 orders
Unhappy returners                  30-50% of value returned, several angry support tickets,
                                   1-2 star reviews
=================================  ==========================================================

Birth year and gender are drawn independently of the persona, so no age band or gender
is treated differently. ``planted_bias=True`` plants one unfair rule to audit: customers
born before 1965 (:data:`PLANTED_BIAS_BORN_BEFORE`) get a tenth of everyone else's chance
of a discount offer, which ``shopperlens audit`` should flag.

:func:`write` saves the tables as CSV or Parquet, plus ``personas.csv`` (not a contract
table: the pipeline ignores it). :func:`write_large` generates and writes a demo of any
size (millions of customers) in bounded memory, a chunk of customers at a time.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from shopperlens._lazy import lazy_names
from shopperlens.demo._defaults import DEFAULT_CHUNK

if TYPE_CHECKING:
    from shopperlens.demo._files import FORMATS, PERSONAS_FILE, write, write_large
    from shopperlens.demo._generate import (
        PERSONA,
        PLANTED_BIAS_BORN_BEFORE,
        DemoData,
        generate,
    )
    from shopperlens.demo._personas import PERSONA_NAMES

# name -> the module that defines it, imported on first use (numpy, pandas, pyarrow), so
# the CLI reads DEFAULT_CHUNK without them
_LAZY = {
    "FORMATS": "shopperlens.demo._files",
    "PERSONAS_FILE": "shopperlens.demo._files",
    "write": "shopperlens.demo._files",
    "write_large": "shopperlens.demo._files",
    "PERSONA": "shopperlens.demo._generate",
    "PLANTED_BIAS_BORN_BEFORE": "shopperlens.demo._generate",
    "DemoData": "shopperlens.demo._generate",
    "generate": "shopperlens.demo._generate",
    "PERSONA_NAMES": "shopperlens.demo._personas",
}


__getattr__, __dir__ = lazy_names(__name__, _LAZY, globals())


__all__ = ["DEFAULT_CHUNK", "FORMATS", "PERSONA", "PERSONAS_FILE", "PERSONA_NAMES",
           "PLANTED_BIAS_BORN_BEFORE", "DemoData", "generate", "write", "write_large"]
