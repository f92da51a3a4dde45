"""What a run, an audit and a text scoring found, in words a marketer can read aloud.

Plain strings and rows, no terminal codes: the CLI lays them out (Rich tables fitting
80 columns), and a notebook or a scheduler can print them as they are.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import pandas as pd

from shopperlens.batch.segments import NO_PURCHASE_NAME

if TYPE_CHECKING:
    from shopperlens.batch.result import RunResult
    from shopperlens.ingest import TableQuality
    from shopperlens.privacy import AuditResult
    from shopperlens.text.scrub import ScrubReport

PII_WORDS = {"email": "e-mail address", "phone": "phone number", "card": "card number",
             "iban": "IBAN", "url": "web address", "postcode": "postcode",
             "address": "street address"}


@dataclass(frozen=True)
class SegmentRow:
    """One segment of a run, as the summary table shows it."""

    name: str
    customers: int
    share: float
    revenue_share: float


def segment_rows(result: RunResult) -> list[SegmentRow]:
    """Every segment of the run, "No purchases yet" included, largest first.

    Sizes are the run's own counts of every customer (``segment_sizes`` of run.json);
    revenue shares come from the segment profiles (none for customers who never bought).
    """
    sizes = dict(result.record.get("metrics", {}).get("segmentation", {})
                 .get("segment_sizes", {}))
    profiles = result.profiles
    name_col = "segment_name" if "segment_name" in profiles else "name"
    revenue = dict(zip(profiles[name_col].astype(str), profiles.get(
        "revenue_share", pd.Series(math.nan, index=profiles.index)), strict=True))
    if not sizes:  # an older record: the profiles' sizes
        sizes = dict(zip(profiles[name_col].astype(str), profiles["size"], strict=True))
    total = sum(sizes.values()) or 1
    rows = [SegmentRow(str(name), int(n), n / total,
                       0.0 if name == NO_PURCHASE_NAME else float(revenue.get(name, math.nan)))
            for name, n in sizes.items()]
    return sorted(rows, key=lambda r: (-r.customers, r.name))


def segments_table(result: RunResult) -> Any:
    """Every segment (No purchases yet included) as a Rich table fitting 80 columns:
    short headers; a long name wraps, it is never cut."""
    from rich import box
    from rich.table import Table

    table = Table(title=f"Segments as of {result.as_of:%Y-%m-%d}", box=box.SIMPLE_HEAD,
                  title_justify="left", show_edge=False, pad_edge=False)
    table.add_column("segment", overflow="fold", ratio=1)
    for column in ("customers", "share", "revenue"):
        table.add_column(column, justify="right", no_wrap=True)
    for row in segment_rows(result):
        revenue = "" if math.isnan(row.revenue_share) else f"{row.revenue_share:.1%}"
        table.add_row(row.name, f"{row.customers:,}", f"{row.share:.1%}", revenue)
    return table


def quality_table(quality: Mapping[str, TableQuality]) -> Any:
    """The data-quality table as Rich renders it in 80 columns: short headers, the date
    range on one line (the rejection reasons go under it: :func:`rejection_lines`)."""
    from rich import box
    from rich.table import Table

    # one space between columns: 100 million rows still fit in 80 columns
    table = Table(title="Data quality", box=box.SIMPLE_HEAD, title_justify="left",
                  show_edge=False, pad_edge=False, padding=(0, 0))
    table.add_column("table", no_wrap=True)
    for column in ("read", "kept", "rejected", "dupes"):
        table.add_column(column, justify="right", no_wrap=True)
    table.add_column("dates", no_wrap=True)
    for q in quality.values():
        dates = f"{(q.date_min or '')[:10]}..{(q.date_max or '')[:10]}" if q.date_min else ""
        table.add_row(q.table, f"{q.rows_read:,}", f"{q.rows_kept:,}", f"{q.rows_rejected:,}",
                      f"{q.duplicates:,}", dates)
    return table


def rejection_lines(quality: Mapping[str, TableQuality]) -> list[str]:
    """The top three reasons rows of each table were rejected, a line per table."""
    lines = []
    for q in quality.values():
        top = ", ".join(f"{why} ({n:,})" for why, n in list(q.rejected_by_reason.items())[:3])
        if top:
            lines.append(f"{q.table} rejected: {top}")
    return lines


def money(value: float, currency: str | None) -> str:
    """An amount, with the data's currency when known.

    >>> money(2664449.99, "EUR"), money(950.4, None)
    ('2,664,450 EUR', '950')
    """
    text = f"{value:,.0f}"
    return f"{text} {currency}" if currency else text


def run_summary(result: RunResult) -> list[str]:
    """A few sentences on the run: how many segments, the largest, the most valuable,
    the biggest opportunity (the most predicted value at risk of churning) and the
    customers who never bought."""
    rows = segment_rows(result)
    customers = sum(r.customers for r in rows)
    lines = [f"{len(rows)} segments found among {customers:,} customers, "
             f"as of {result.as_of:%Y-%m-%d}."]
    buyers = [r for r in rows if r.name != NO_PURCHASE_NAME]
    if buyers:
        big = buyers[0]
        lines.append(f"The largest is {big.name}: {big.customers:,} customers ({big.share:.0%}).")
        rich = max(buyers, key=lambda r: -1 if math.isnan(r.revenue_share) else r.revenue_share)
        if not math.isnan(rich.revenue_share):
            lines.append(f"{rich.name} bring {rich.revenue_share:.0%} of revenue with "
                         f"{rich.share:.0%} of customers.")
    chance = opportunity(result)
    if chance:
        lines.append(chance)
    never = [r for r in rows if r.name == NO_PURCHASE_NAME]
    if never:
        lines.append(f"{never[0].customers:,} customers ({never[0].share:.1%}) have not "
                     "bought yet: the segment No purchases yet.")
    return lines


def opportunity(result: RunResult) -> str | None:
    """The segment with the most predicted value at risk (expected value times churn
    risk, summed), in a sentence; None without predictions in memory."""
    if result.is_stored() or result.predictions is None:
        return None
    predictions, segments = result.predictions, result.segments
    value = [c for c in predictions.columns if c.startswith("expected_clv_")]
    if (not value or "churn_risk" not in predictions or "segment_name" not in segments
            or not pd.api.types.is_numeric_dtype(predictions["churn_risk"])):
        return None
    joined = segments[["customer_id", "segment_name"]].merge(predictions, on="customer_id")
    joined["at_risk"] = joined[value[0]] * joined["churn_risk"]
    by = joined.groupby("segment_name").agg(at_risk=("at_risk", "sum"),
                                            risk=("churn_risk", "mean"),
                                            customers=("customer_id", "size"))
    if by.empty or not by["at_risk"].gt(0).any():
        return None
    name = str(by["at_risk"].idxmax())
    top = by.loc[name]
    days = value[0].removeprefix("expected_clv_").removesuffix("d")
    currency = result.record.get("currency")
    return (f"Biggest opportunity: keep {name} ({int(top['customers']):,} customers, mean "
            f"churn risk {top['risk']:.0%}): {money(top['at_risk'], currency)} of the value "
            f"they are expected to spend in the next {days} days is at risk.")


def scrub_summary(report: ScrubReport) -> str:
    """What was removed from the texts, in words.

    >>> from collections import Counter
    >>> from shopperlens.text.scrub import ScrubReport
    >>> scrub_summary(ScrubReport(Counter({"phone": 2, "email": 1}), texts_changed=2))
    'removed 3 pieces of personal data from 2 texts: 2 phone numbers, 1 e-mail address'
    >>> scrub_summary(ScrubReport())
    'no personal data found'
    """
    if not report.total:
        return "no personal data found"
    kinds = ", ".join(_plural(n, PII_WORDS.get(kind, kind))
                      for kind, n in report.counts.most_common() if n)
    return (f"removed {_plural(report.total, 'piece')} of personal data from "
            f"{_plural(report.texts_changed, 'text')}: {kinds}")


def _plural(n: int, word: str) -> str:
    return f"{n:,} {word}" if n == 1 else f"{n:,} {word}s"


def audit_summary(result: AuditResult) -> list[str]:
    """What an audit tested, its threshold and test, what it flagged, and the
    differences over the threshold that chance could explain (not flagged)."""
    metrics = result.metrics
    if not len(metrics):
        return ["Nothing to test: no sensitive group has enough customers."]
    outcomes = ", ".join(sorted(set(map(str, metrics["outcome"]))))
    groups = ", ".join(sorted(set(map(str, metrics["attribute"]))))
    rule = f"a difference over {result.threshold:.2f}"
    if result.alpha is not None:
        rule += f" with a chi-square p-value below {result.alpha:g}"
    lines = [f"Tested {len(metrics)} differences: {outcomes} by {groups}; "
             f"flagged: {rule}."]
    lines += [f"Flagged: {flag}" for flag in result.flags]
    lines += [f"Flagged proxy: {flag}" for flag in result.proxy_flags]
    lines += [f"Large but not significant: {line}" for line in _unproven(result)]
    if not result.flags and not result.proxy_flags:
        lines.append("Nothing flagged.")
    return lines


def _unproven(result: AuditResult) -> list[str]:
    """Differences over the threshold whose p-value is not below alpha."""
    m = result.metrics
    if result.alpha is None:  # flagged on the threshold alone: nothing over it is unflagged
        return []
    over = m[(m["value"] > result.threshold) & ~m["flagged"].astype(bool)]
    return [f"{r.outcome} by {r.attribute}: {r.value:.3f} over {result.threshold:.2f}, "
            f"but p = {_p(r.p_value)} is not below {result.alpha:g}: {r.detail}"
            for r in over.itertuples()]


def _p(value: Any) -> str:
    return "n/a" if value is None or (isinstance(value, float) and math.isnan(value)) \
        else f"{float(value):.3f}"


def scores_summary(scored: pd.DataFrame) -> list[str]:
    """The sentiment split, the dominant emotions and the commonest topics of scored
    texts, in words."""
    lines = []
    if "sentiment" in scored and scored["sentiment"].notna().any():
        mood = scored["sentiment"].dropna()
        lines.append(f"Sentiment: {(mood > 0.05).sum():,} positive, "
                     f"{(mood < -0.05).sum():,} negative, "
                     f"{mood.between(-0.05, 0.05).sum():,} neutral (mean {mood.mean():+.2f}).")
    if "dominant_emotion" in scored:
        top = scored["dominant_emotion"].replace("", pd.NA).dropna().value_counts().head(3)
        if len(top):
            lines.append("Dominant emotions: " + ", ".join(
                f"{name} ({n:,})" for name, n in top.items()) + ".")
    if "topics" in scored:
        topics = scored["topics"].fillna("").str.split(";").explode()
        top = topics[topics != ""].value_counts().head(5)
        if len(top):
            lines.append("Commonest topics: " + ", ".join(
                f"{name} ({n:,})" for name, n in top.items()) + ".")
    return lines
