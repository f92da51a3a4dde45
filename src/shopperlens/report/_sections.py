"""One function per report section: numbers and chart fragments for the templates.

A section function returns a plain dict for its template, or ``None`` when the run has
nothing for it (no predictions yet, no text features), and the template then leaves the
section out.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from shopperlens import schema as s
from shopperlens.batch.result import RunResult
from shopperlens.features.catalog import FEATURES, describe
from shopperlens.report import _data as d
from shopperlens.report import charts as c
from shopperlens.report._rules import simplify

CLV, CHURN, P_ALIVE = "expected_clv_365d", "churn_risk", "p_alive"
TEXT_PREFIXES = ("sentiment", "emotion", "dominant_emotion", "topic", "top_topic", "text_")
SELECTION_RULE = (
    "A candidate is valid when its smallest segment holds at least the minimum share of "
    "customers and it is stable (the same segments come back when re-fitted on random "
    "half-samples: mean adjusted Rand index of at least 0.8). Among valid candidates the "
    "best silhouette, averaged over the fit and its re-fits, wins; candidates within 0.01 "
    "of it tie, and the tie goes to the fewest segments, because fewer segments are "
    "easier to act on."
)


class Context:
    """What every section needs: the joined frame, names, colours and the seed."""

    def __init__(self, result: RunResult) -> None:
        self.result = result
        self.frame = d.joined(result)
        self.names = d.segment_names(result)
        self.colours = c.segment_colours(list(self.names))
        self.ids = d.model_segments(result)
        self.buyers = self.frame[self.frame[s.SEGMENT_ID].isin(self.ids)]
        self.seed = int(result.record.get("seed", 0) or 0)
        self.sizes = d.sizes(self.frame, self.names)
        self.predictions = _predictions(result, self.frame)


def _predictions(result: RunResult, frame: pd.DataFrame) -> pd.DataFrame | None:
    if result.predictions is None or result.predictions.empty:
        return None
    pred = result.predictions.set_index(s.CUSTOMER_ID)
    return pred.join(frame[[s.SEGMENT_ID]], how="inner")


def summary(ctx: Context) -> dict[str, Any]:
    """Headline figures, data quality and the size/revenue chart."""
    table = ctx.sizes.set_index("name")
    colours = {ctx.names[i]: ctx.colours[i] for i in ctx.sizes.index}
    return {
        "figures": d.summary(ctx.result, len(ctx.sizes)),  # "No purchases yet" counts too
        "quality": d.quality_rows(ctx.result),
        "sizes_chart": c.to_div(c.share_bars(
            table, colours, title="Segments: who is many, who is worth much"), "sizes"),
    }


def segment_map(ctx: Context) -> dict[str, Any]:
    """The 2-D map of a stratified sample, and how it was drawn."""
    data = d.segment_map(ctx.result, ctx.buyers, ctx.seed)
    titles = (
        f"component 1 ({100 * data.explained[0]:.0f}% of variance, standardised units)",
        f"component 2 ({100 * data.explained[1]:.0f}% of variance, standardised units)",
    )
    fig = c.segment_map(data.points, ctx.names, ctx.colours, titles)
    return {"chart": c.to_div(fig, "segment-map"), "data": data, "seed": ctx.seed}


def cards(ctx: Context) -> list[dict[str, Any]]:
    """One card per model segment."""
    model = ctx.result.model.segment_model
    typical = d.typical_customers(ctx.result, ctx.buyers, ctx.seed)
    out = []
    for seg in ctx.ids:
        row = ctx.sizes.loc[seg]
        fig = c.profile_bars(d.profile_gaps(ctx.result, seg), ctx.colours[seg],
                             title=f"What sets “{ctx.names[seg]}” apart")
        out.append({
            "id": seg, "name": ctx.names[seg], "colour": ctx.colours[seg],
            "size": int(row["size"]), "share": float(row["share"]),
            "revenue_share": float(row["revenue_share"]),
            "revenue_per_customer": float(row["revenue"] / max(row["size"], 1)),
            "chart": c.to_div(fig, f"profile-{seg}"),
            "rules": simplify(list(model.rules_.get(seg, []))),
            "fidelity": model.segment_fidelity_.get(seg),
            "actions": list(model.actions_.get(seg, [])),
            "typical": d.feature_table(ctx.result, ctx.buyers, seg, typical[seg])
            if seg in typical else [],
            "predicted": _card_predictions(ctx, seg),
        })
    return out


def _card_predictions(ctx: Context, seg: int) -> dict[str, float] | None:
    pred = ctx.predictions
    if pred is None:
        return None
    members = pred[pred[s.SEGMENT_ID] == seg]
    out: dict[str, float] = {}
    for column in (CLV, P_ALIVE, "expected_orders_90d"):
        if column in members and len(members):
            out[column] = float(members[column].mean())
    if CHURN in members and pd.api.types.is_numeric_dtype(members[CHURN]) and len(members):
        out[CHURN] = float(members[CHURN].mean())
    return out


def rfm(ctx: Context) -> dict[str, Any] | None:
    """The recency x frequency grid and the RFM segments' sizes and revenue."""
    columns = [d.RECENCY, d.FREQUENCY, d.MONETARY]
    if ctx.result.model.rfm is None or not set(columns) <= set(ctx.frame.columns):
        return None
    scores = ctx.result.model.rfm.scores(ctx.frame[columns])
    scored = (scores["R"] > 0).to_numpy()
    cells = pd.DataFrame({"R": scores["R"].to_numpy()[scored], "F": scores["F"].to_numpy()[scored],
                          "name": ctx.frame[s.RFM_SEGMENT].to_numpy()[scored]})
    grid = range(1, 6)
    counts = pd.crosstab(cells["F"], cells["R"]).reindex(index=grid, columns=grid, fill_value=0)
    top = cells.groupby(["F", "R"])["name"].agg(lambda v: v.value_counts().index[0])
    labels = top.unstack().reindex(index=grid, columns=grid).astype(object).fillna("")
    # d.sizes groups by the segment id column: give it the RFM segment under that name
    frame = pd.DataFrame({s.SEGMENT_ID: ctx.frame[s.RFM_SEGMENT],
                          d.MONETARY: ctx.frame.get(d.MONETARY, 0.0)})
    present = set(frame[s.SEGMENT_ID].unique())
    order = [n for n in c.RFM_COLOURS if n in present] + sorted(present - set(c.RFM_COLOURS))
    table = d.sizes(frame, {n: n for n in order}).set_index("name")  # type: ignore[dict-item]
    return {
        "grid_chart": c.to_div(c.rfm_heatmap(counts, labels), "rfm-grid"),
        "sizes_chart": c.to_div(c.share_bars(table, c.RFM_COLOURS,
                                             title="RFM segments: customers and revenue"),
                                "rfm-sizes"),
        "scored": int(scored.sum()),
    }


def predictions(ctx: Context) -> dict[str, Any] | None:
    """CLV and churn-risk distributions per segment, and the holdout check if any."""
    pred = ctx.predictions
    if pred is None:
        return None
    pred = pred[pred[s.SEGMENT_ID].isin(ctx.ids)]
    charts = []
    if CLV in pred and pred[CLV].notna().any():
        stats = d.quantiles(pred[CLV], pred[s.SEGMENT_ID])
        unit = ctx.result.record.get("currency") or "currency"
        charts.append(c.to_div(c.box_by_segment(
            stats, ctx.colours, ctx.names, title="Predicted customer value, next 365 days",
            axis=f"expected value per customer ({unit})"), "clv"))
    scored = CHURN in pred and pred[CHURN].notna().any()  # none without a churn model
    if scored and pd.api.types.is_numeric_dtype(pred[CHURN]):
        stats = d.quantiles(100 * pred[CHURN], pred[s.SEGMENT_ID])
        charts.append(c.to_div(c.box_by_segment(
            stats, ctx.colours, ctx.names, title="Churn risk",
            axis="probability of churning (%)"), "churn"))
    elif scored:
        shares = d.category_shares(pred[CHURN], pred[s.SEGMENT_ID])
        charts.append(c.to_div(c.stacked_shares(shares, ctx.names, title="Churn risk",
                                                axis="% of customers"), "churn"))
    metrics = ctx.result.record.get("metrics", {})
    stage = metrics.get("predictions", {}) if isinstance(metrics.get("predictions"), dict) else {}
    return {
        "charts": charts, "customers": len(pred),
        "holdout": _holdout(metrics.get("holdout") or stage.get("holdout")),
        "model": stage.get("transaction_model"),
        "churn": _scalars(stage.get("churn")),
    }


def _scalars(values: Any) -> dict[str, Any]:
    """The numbers and short texts of a metrics dict (nested tables left out)."""
    if not isinstance(values, dict):
        return {}
    return {k: v for k, v in values.items() if isinstance(v, (int, float, str))}


_PREDICTED = ("predicted", "predicted_mean", "expected", "pred")
_ACTUAL = ("actual", "actual_mean", "observed", "observed_mean")


def _holdout(holdout: Any) -> dict[str, Any] | None:
    """Scalar metrics as a table; each list of {group, predicted, actual} rows as a chart."""
    if not isinstance(holdout, dict) or not holdout:
        return None
    metrics = _scalars(holdout)
    unit = "orders " if any("orders" in k for k in holdout) else ""
    charts: list[str] = []
    for key, value in holdout.items():
        if not (isinstance(value, list) and value and isinstance(value[0], dict)):
            continue
        table = pd.DataFrame(value)
        pred = next((col for col in _PREDICTED if col in table), None)
        actual = next((col for col in _ACTUAL if col in table), None)
        if pred is None or actual is None:
            continue
        x = next((col for col in table if col not in (pred, actual)), None)
        table = table.reset_index(names="group") if x is None else table
        title = f"Holdout check: {key.replace('_', ' ')}, predicted vs actual"
        fig = c.predicted_vs_actual(table, title=title, x=x or "group", predicted=pred,
                                    actual=actual, axis=f"mean {unit}per customer")
        charts.append(c.to_div(fig, f"holdout-{len(charts)}"))
    return {"metrics": metrics, "charts": charts}


def text_columns(features: pd.DataFrame) -> list[str]:
    """Feature columns that come from customers' words (sentiment, emotion, topics)."""
    return [
        col for col in features.columns
        if (col in FEATURES and FEATURES[col].family == "text")
        or str(col).startswith(TEXT_PREFIXES)
    ]


def text(ctx: Context) -> dict[str, Any] | None:
    """Mean of each numeric text feature and shares of each categorical one, by segment."""
    columns = text_columns(ctx.result.features)
    if not columns:
        return None
    buyers = ctx.buyers
    charts = []
    for n, col in enumerate(columns):
        label = describe(col).label
        if pd.api.types.is_numeric_dtype(buyers[col]):
            means = buyers.groupby(s.SEGMENT_ID)[col].mean().dropna()
            fig = c.mean_bars(means, ctx.colours, ctx.names,
                              title=f"{label.capitalize()} by segment",
                              axis=f"{label}: mean per customer")
        else:
            shares = d.category_shares(buyers[col], buyers[s.SEGMENT_ID])
            fig = c.stacked_shares(shares, ctx.names, title=f"{label.capitalize()} by segment",
                                   axis="% of customers")
        charts.append(c.to_div(fig, f"text-{n}"))
    return {"charts": charts, "columns": [describe(col).label for col in columns]}


_METRIC_LABELS = {"demographic_parity_difference": "demographic-parity difference",
                  "equalized_odds_difference": "equalised-odds difference"}


def _group_order(group: str) -> tuple[int, str]:
    """Age bands in age order (``<18`` first), other groups by name."""
    digits = "".join(ch for ch in group.split("-")[0] if ch.isdigit())
    return (-1 if group.startswith("<") else int(digits or 10**6), group)


def fairness(ctx: Context) -> dict[str, Any] | None:
    """The fairness audit of the run (``shopperlens audit``): flags, differences, and the
    make-up of each segment by sensitive group."""
    audit = ctx.result.audit
    if not audit:
        return None
    comp = pd.DataFrame(audit.get("composition") or [])
    charts = []
    if len(comp):
        comp = comp[comp["outcome"] == s.SEGMENT_NAME]
        order = {name: i for i, name in ctx.names.items()}
        for n, (attribute, part) in enumerate(comp.groupby("attribute", sort=False)):
            shares = part.pivot_table(index="segment", columns="group", values="share",
                                      aggfunc="sum").fillna(0.0)
            shares = shares[sorted(shares.columns, key=_group_order)]
            shares = shares.loc[sorted(shares.index, key=lambda x: (order.get(x, 10**6), x))]
            names = dict(enumerate(shares.index))
            label = str(attribute).replace("_", " ")
            fig = c.stacked_shares(shares.reset_index(drop=True), names, axis="% of the segment",
                                   title=f"Segments by {label}")
            charts.append(c.to_div(fig, f"fairness-{n}"))
    metrics = [{**m, "metric": _METRIC_LABELS.get(m["metric"], m["metric"]),
                "attribute": str(m["attribute"]).replace("_", " ")}
               for m in audit.get("metrics") or []]
    return {"flags": audit.get("flags") or [], "proxy_flags": audit.get("proxy_flags") or [],
            "threshold": audit.get("threshold"), "alpha": audit.get("alpha"),
            "metrics": metrics, "charts": charts}


EVENT_WORDS = {"birth": "New segment", "death": "Segment gone", "split": "Split",
               "merge": "Merged", "shrink": "Shrank", "unmatched": "Not found by the re-fit",
               "regroup": "Regrouped by the re-fit"}


def changes(ctx: Context) -> dict[str, Any] | None:
    """What changed since the previous run (``--previous``): the model kept or re-fitted
    and why, segment events, the mix, the drifting features, the last predictions'
    report card."""
    learning = ctx.result.record.get("learning")
    if not learning:
        return None
    events = [{**e, "label": EVENT_WORDS.get(e["type"], e["type"])}
              for e in learning.get("events") or []]
    drift = sorted(learning.get("drift") or [], key=lambda r: -float(r["psi"]))
    drift = [{**r, "label": describe(r["feature"]).label} for r in drift if r["psi"] >= 0.1]
    return {"learning": learning, "events": events, "drift": drift,
            "mix": [m for m in learning.get("mix") or [] if abs(m["change"]) >= 0.005],
            "card": learning.get("report_card") or {},
            "continuity": learning.get("continuity") or {}}


def method(ctx: Context) -> dict[str, Any]:
    """Features, the model-selection table and why the winner won, versions, timings."""
    model = ctx.result.model.segment_model
    record = ctx.result.record
    selection = model.selection_.replace({np.nan: None})
    chosen = selection[selection["chosen"].astype(bool)]
    valid = int(selection["valid"].astype(bool).sum())
    features = [
        {"name": n, "label": describe(n).label, "unit": describe(n).unit,
         "family": describe(n).family}
        for n in ctx.result.model.feature_names
    ]
    return {
        "features": features,
        "selection": selection.to_dict("records"),
        "chosen": chosen.iloc[0].to_dict() if len(chosen) else None,
        "n_candidates": len(selection), "n_valid": valid,
        "rule": SELECTION_RULE,
        "algorithm": getattr(model, "algorithm_", "?"),
        "rule_fidelity": float(getattr(model, "rule_fidelity_", np.nan)),
        "versions": record.get("versions", {}),
        "seed": record.get("seed"),
        "timings": record.get("timings_s", {}),
        "parameters": record.get("parameters", {}),
    }


def recommendations(ctx: Context, top: int = 5) -> list[dict[str, Any]] | None:
    """Per segment: the products most often in its customers' top three, and the offers
    chosen for them (how many, mean expected value)."""
    recs, offers = ctx.result.recommendations, ctx.result.offers
    if recs is None or recs.empty:
        return None
    segment = ctx.frame[s.SEGMENT_ID]
    recs = recs[recs["rank"] <= 3].assign(
        **{s.SEGMENT_ID: recs[s.CUSTOMER_ID].map(segment)}).dropna(subset=[s.SEGMENT_ID])
    rows = []
    for sid, name in ctx.names.items():
        mine = recs[recs[s.SEGMENT_ID] == sid]
        counts = mine.groupby([s.PRODUCT_ID, s.CATEGORY], dropna=False).size()
        products = [{"product": p, "category": c if isinstance(c, str) else "", "customers": n}
                    for (p, c), n in counts.sort_values(ascending=False, kind="stable")
                    .head(top).items()]
        chosen = pd.DataFrame() if offers is None else offers[
            offers[s.CUSTOMER_ID].map(segment) == sid]
        offer_rows = [] if chosen.empty else [
            {"offer": o, "customers": len(g), "mean_value": g["expected_value"].mean()}
            for o, g in chosen.groupby("offer_id")]
        if products or offer_rows:
            rows.append({"name": name, "products": products, "offers": offer_rows})
    return rows or None


def demand(ctx: Context) -> dict[str, Any] | None:
    """The weekly (and daily) forecast charts, the elasticities and the price
    suggestions."""
    frames, metrics = ctx.result.demand, ctx.result.record.get("metrics", {})
    if not frames:
        return None
    forecasts = frames.get(s.FORECASTS_FILE)
    chart = daily_chart = None
    if forecasts is not None and not forecasts.empty:
        # runs before the daily forecasts wrote weeks only, without the column
        period = forecasts.get("frequency", pd.Series("week", index=forecasts.index))
        for name, unit in (("week", "week"), ("day", "day")):
            rows = forecasts[period == name]
            if rows.empty:
                continue
            div = c.to_div(c.forecast_bands(
                rows[rows["level"] == "total"], rows[rows["level"] == "category"],
                title=f"Units forecast per {unit}, total and per category",
                axis=f"units per {unit}", period=unit), f"forecast-{name}")
            chart, daily_chart = (div, daily_chart) if name == "week" else (chart, div)
    names = {**ctx.names, -2: "Not profiled"}
    tables = {}
    for key in (s.ELASTICITIES_FILE, s.PRICE_SUGGESTIONS_FILE):
        frame = frames.get(key, pd.DataFrame())
        tables[key] = frame.assign(segment=frame[s.SEGMENT_ID].map(names)) \
            if s.SEGMENT_ID in frame else frame
    return {"chart": chart, "daily_chart": daily_chart,
            "skipped": metrics.get("demand", {}).get("forecasts_skipped"),
            "elasticities": tables[s.ELASTICITIES_FILE].to_dict("records"),
            "suggestions": tables[s.PRICE_SUGGESTIONS_FILE].to_dict("records")}
