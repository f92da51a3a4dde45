"""The report's campaign section: effects against control per segment and offer, with
their intervals, and the uplift model's Qini curves on the holdout (from ``run.json``'s
``metrics.campaigns``, so a report rebuilt from a run's folder shows it too)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import plotly.graph_objects as go

from shopperlens import schema as s
from shopperlens.campaigns import CONTROL
from shopperlens.report import charts as c


def campaigns(record: Mapping[str, Any], names: Mapping[int, str]) -> list[dict[str, Any]] | None:
    """One entry per campaign: its table rows and two charts; None without campaigns."""
    found = (record.get("metrics") or {}).get("campaigns")
    if not found:
        return None
    out = []
    for n, (campaign, figures) in enumerate(sorted(found.items())):
        rows = [{**r, "segment_name": names.get(r[s.SEGMENT_ID], f"segment {r[s.SEGMENT_ID]}")}
                for r in figures["results"]]
        offers = [r for r in rows if r[s.VARIANT] != CONTROL]
        uplift = figures.get("uplift") or {}
        out.append({
            "id": campaign, "sent_at": figures["sent_at"][:10],
            "window_days": figures["window_days"], "rows": rows,
            "underpowered": sum(bool(r["underpowered"]) for r in offers),
            "qini": [{"variant": v, "outcome": o, "learner": f.get("learner", "x"),
                      **{k: f.get(k) for k in ("qini", "qini_s_learner", "qini_difference",
                                               "qini_difference_low", "qini_difference_high")}}
                     for v, per in sorted(uplift.items()) for o, f in sorted(per.items())
                     if isinstance(f, dict) and "qini" in f],
            "effects_chart": c.to_div(effects_chart(offers, campaign), f"campaign-{n}-effects"),
            "qini_chart": c.to_div(qini_chart(uplift, campaign), f"campaign-{n}-qini"),
        })
    return out


def effects_chart(offers: list[dict[str, Any]], campaign: str) -> go.Figure:
    """Incremental revenue per customer and its 95% interval, per segment and offer."""
    fig = go.Figure()
    for i, variant in enumerate(sorted({r[s.VARIANT] for r in offers})):
        mine = [r for r in offers if r[s.VARIANT] == variant
                and r["incremental_revenue_per_customer"] is not None]
        mid = [r["incremental_revenue_per_customer"] for r in mine]
        fig.add_trace(go.Scatter(
            y=[r["segment_name"] for r in mine], x=mid, mode="markers", name=variant,
            marker={"color": c.PALETTE[i % len(c.PALETTE)], "size": 9},
            error_x={"type": "data", "symmetric": False,
                     "array": [r["incremental_revenue_per_customer_high"] - m
                               for r, m in zip(mine, mid, strict=True)],
                     "arrayminus": [m - r["incremental_revenue_per_customer_low"]
                                    for r, m in zip(mine, mid, strict=True)]}))
    fig.add_vline(x=0, line_color=c.GREY)
    segments = len({r["segment_name"] for r in offers})
    fig.update_layout(template=c.TEMPLATE, width=c.WIDTH, height=160 + 40 * segments,
                      title=f"{campaign}: incremental revenue per customer vs control (95%)",
                      xaxis_title="revenue per customer, offer minus control",
                      scattermode="group")
    return fig


def qini_chart(uplift: Mapping[str, Any], campaign: str) -> go.Figure:
    """Qini curves of the uplift model (orders) on the holdout, with random targeting."""
    fig = go.Figure()
    for i, (variant, per) in enumerate(sorted(uplift.items())):
        curve = (per.get("order") or {}).get("qini_curve") if isinstance(per, dict) else None
        if not curve:
            continue
        x, y = [100 * v for v in curve["share"]], curve["incremental"]
        colour = c.PALETTE[i % len(c.PALETTE)]
        fig.add_trace(go.Scatter(x=x, y=y, name=f"{variant}: model", line={"color": colour}))
        fig.add_trace(go.Scatter(x=[0, 100], y=[0, y[-1]], name=f"{variant}: random",
                                 line={"color": colour, "dash": "dot"}))
    fig.update_layout(template=c.TEMPLATE, width=c.WIDTH, height=380,
                      title=f"{campaign}: Qini curve on the holdout (orders)",
                      xaxis_title="% of holdout customers targeted, best predicted first",
                      yaxis_title="incremental orders")
    return fig
