"""Fairness audit: do segments, scores and offers treat groups of customers alike?

Sensitive attributes (age band from birth year, gender, any column the user names) are
never features unless asked (:func:`check_no_sensitive_features`); they are used here to
measure outcomes, with the definitions of Fairlearn's ``fairlearn.metrics``:

- *selection rate* of a group: the share of its members with a positive outcome;
- *demographic-parity difference*: the largest minus the smallest selection rate over
  the groups (0 = every group is selected alike);
- *equalised-odds difference*: the larger of the differences in true-positive rate and in
  false-positive rate between groups, for a model with known true outcomes (Hardt, Price
  and Srebro 2016, "Equality of Opportunity in Supervised Learning", definition 2.1).

A difference above ``threshold`` is flagged. With ``alpha``, it must also be unlikely to
be chance: a chi-square test of independence between group and outcome (over the groups
the difference is taken from) must give a p-value below ``alpha``. Small groups differ by
chance by more than a 0.1 threshold, so an audit of a few hundred customers needs it.
Groups smaller than ``min_group_size`` and missing group values are left out of the
differences (their rates are still reported). Segment composition is reported, not
flagged: segments are meant to differ.

>>> groups = pd.DataFrame({"age_band": ["18-24"] * 4 + ["35-44"] * 4})
>>> outcomes = pd.DataFrame({"offer": [0, 0, 0, 1, 1, 1, 1, 0]})
>>> result = fairness_audit(outcomes, groups, min_group_size=1)
>>> result.flags
['offer: demographic-parity difference by age_band is 0.50 (over 0.10): 18-24 0.25, 35-44 0.75']
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from scipy.stats import chi2_contingency

from shopperlens import schema as s
from shopperlens._params import Interval, check_params
from shopperlens.errors import InputError, PrivacyError
from shopperlens.privacy._proxies import proxy_features, proxy_scores

__all__ = ["AGE_EDGES", "AGE_BAND", "AuditResult", "age_band", "check_no_sensitive_features",
           "fairness_audit", "proxy_features", "proxy_scores", "sensitive_groups"]

AGE_EDGES = (18, 25, 35, 45, 55, 65)
AGE_BAND = "age_band"
SEGMENT_COLUMNS = (s.SEGMENT_ID, s.SEGMENT_NAME, s.RFM_SEGMENT)
DPD, EOD = "demographic_parity_difference", "equalized_odds_difference"
MAX_CATEGORIES = 50  # text columns with more values (reasons, dates) are not outcomes


def age_band(birth_year: Any, as_of_year: int, *, edges: Sequence[int] = AGE_EDGES) -> pd.Series:
    """Age bands (``<18``, ``18-24``, ..., ``65+``) from birth years, as strings.

    The age is ``as_of_year - birth_year`` (it may be one year high before a birthday).
    Missing birth years give missing bands; a Series input keeps its index.

    Examples
    --------
    >>> age_band([2010, 2000, 1990, 1950, None], 2024).tolist()
    ['<18', '18-24', '25-34', '65+', None]
    """
    years = pd.to_numeric(pd.Series(birth_year), errors="coerce")
    ages = as_of_year - years
    labels = [f"<{edges[0]}"]
    labels += [f"{lo}-{hi - 1}" for lo, hi in zip(edges[:-1], edges[1:], strict=True)]
    labels.append(f"{edges[-1]}+")
    bins = [-np.inf, *edges, np.inf]
    bands = pd.cut(ages, bins=bins, labels=labels, right=False).astype(object)
    return bands.where(bands.notna(), None).rename(AGE_BAND)


def sensitive_groups(
    customers: pd.DataFrame, as_of_year: int, *, extra: Iterable[str] = ()
) -> pd.DataFrame:
    """The groups to audit, indexed by ``customer_id``: age band, gender and ``extra`` columns.

    Examples
    --------
    >>> customers = pd.DataFrame({"customer_id": ["a", "b"], "birth_year": [2000, 1970],
    ...                           "gender": ["f", "m"]})
    >>> sensitive_groups(customers, 2024).to_dict("index")
    {'a': {'age_band': '18-24', 'gender': 'f'}, 'b': {'age_band': '45-54', 'gender': 'm'}}
    """
    frame = customers.set_index(s.CUSTOMER_ID) if s.CUSTOMER_ID in customers.columns else customers
    out = pd.DataFrame(index=frame.index)
    if s.BIRTH_YEAR in frame.columns:
        out[AGE_BAND] = age_band(frame[s.BIRTH_YEAR], as_of_year).to_numpy()
    for column in (s.GENDER, *extra):
        if column not in frame.columns:
            raise InputError(f"customers is missing column {column!r} named for the audit "
                             f"(found: {', '.join(map(str, frame.columns[:8]))}).")
        out[column] = frame[column].astype(object).where(frame[column].notna(), None)
    return out


def check_no_sensitive_features(
    columns: Iterable[str], *, allowed: Iterable[str] = (), sensitive: Iterable[str] = ()
) -> None:
    """Raise :class:`~shopperlens.errors.PrivacyError` if a feature is a sensitive attribute.

    Sensitive are the contract's ``sensitive`` columns, ``age`` and ``age_band``, and the
    names in ``sensitive``; those in ``allowed`` (the user asked for them) pass.

    Examples
    --------
    >>> check_no_sensitive_features(["recency", "birth_year"], allowed=["birth_year"])
    >>> check_no_sensitive_features(["recency", "gender"])
    Traceback (most recent call last):
    ...
    shopperlens.errors.PrivacyError: sensitive attributes are not used as features unless
    asked: gender (allow them explicitly to use them).
    """
    names = {c.name for t in s.TABLES.values() for c in t.columns if c.sensitive}
    names |= {"age", AGE_BAND, *sensitive}
    found = [c for c in columns if c in names and c not in set(allowed)]
    if found:
        raise PrivacyError(f"sensitive attributes are not used as features unless asked: "
                           f"{', '.join(found)} (allow them explicitly to use them).")


@dataclass
class AuditResult:
    """What :func:`fairness_audit` measured.

    ``rates``: attribute, group, outcome, n, rate (selection rate, mean, TPR or FPR).
    ``composition``: attribute, outcome, segment, group, n, share (of the segment).
    ``metrics``: attribute, outcome, metric, value, p_value, flagged, detail.
    ``proxies``: attribute, feature, auc, proxy (when features were given).
    """

    threshold: float
    rates: pd.DataFrame
    composition: pd.DataFrame
    metrics: pd.DataFrame
    proxies: pd.DataFrame = field(default_factory=pd.DataFrame)
    alpha: float | None = None

    @property
    def flagged(self) -> bool:
        """Whether any difference is over the threshold."""
        return bool(len(self.metrics)) and bool(self.metrics["flagged"].any())

    @property
    def flags(self) -> list[str]:
        """One sentence per flagged difference."""
        rows = self.metrics[self.metrics["flagged"]] if len(self.metrics) else self.metrics
        words = {DPD: "demographic-parity difference", EOD: "equalised-odds difference"}
        return [f"{r.outcome}: {words[r.metric]} by {r.attribute} is {r.value:.2f} "
                f"(over {self.threshold:.2f}{self._p_text(r.p_value)}): {r.detail}"
                for r in rows.itertuples()]

    def _p_text(self, p_value: float) -> str:
        if self.alpha is None or np.isnan(p_value):
            return ""
        return "; p < 0.001" if p_value < 0.001 else f"; p = {p_value:.3f}"

    @property
    def proxy_flags(self) -> list[str]:
        """Features that predict a sensitive attribute, as sentences."""
        if not len(self.proxies):
            return []
        rows = self.proxies[self.proxies["proxy"]]
        return [f"{r.feature} predicts {r.attribute} (cross-validated AUC {r.auc:.2f})"
                for r in rows.itertuples()]

    def to_dict(self) -> dict[str, Any]:
        """JSON-able summary for ``run.json`` and the report."""
        def records(frame: pd.DataFrame) -> list[dict[str, Any]]:
            clean = frame.astype(object).where(frame.notna(), None)
            return [{k: (v.item() if hasattr(v, "item") else v) for k, v in row.items()}
                    for row in clean.to_dict("records")]

        return {"threshold": self.threshold, "alpha": self.alpha, "flagged": self.flagged,
                "flags": self.flags,
                "proxy_flags": self.proxy_flags, "metrics": records(self.metrics),
                "rates": records(self.rates), "composition": records(self.composition),
                "proxies": records(self.proxies)}


def _by_customer(frame: pd.DataFrame | pd.Series) -> pd.DataFrame | pd.Series:
    if isinstance(frame, pd.DataFrame) and s.CUSTOMER_ID in frame.columns:
        return frame.set_index(s.CUSTOMER_ID)
    return frame


def _kind(values: pd.Series) -> str:
    if isinstance(values.dtype, pd.CategoricalDtype) or values.name in SEGMENT_COLUMNS:
        return "categorical"
    if pd.api.types.is_datetime64_any_dtype(values.dtype):
        return "skip"
    if pd.api.types.is_bool_dtype(values.dtype):
        return "binary"
    if pd.api.types.is_numeric_dtype(values.dtype):
        present = values.dropna()
        if present.isin([0, 1]).all():
            return "binary"
        return "score" if present.between(0, 1).all() else "numeric"
    return "categorical" if values.nunique() <= MAX_CATEGORIES else "skip"


def _gap(rates: pd.Series, sizes: pd.Series, min_size: int) -> tuple[float, str, pd.Index]:
    usable = rates[(sizes >= min_size) & rates.notna()]
    if len(usable) < 2:
        return float("nan"), "fewer than two groups large enough", usable.index
    detail = ", ".join(f"{g} {r:.2f}" for g, r in usable.sort_index().items())
    return float(usable.max() - usable.min()), detail, usable.index


def _p_value(positive: pd.Series, group: pd.Series, groups: pd.Index) -> float:
    """Chi-square test of independence of ``positive`` and ``group`` over ``groups``."""
    if len(groups) < 2:
        return float("nan")
    table = pd.crosstab(group, positive.astype(bool)).reindex(
        index=groups, columns=[False, True], fill_value=0)
    if (table.sum(axis=0) == 0).any():  # everyone alike: no difference to test
        return 1.0
    return float(chi2_contingency(table.to_numpy()).pvalue)


def _flag(value: float, p_value: float, threshold: float, alpha: float | None) -> bool:
    return bool(value > threshold) and (alpha is None or bool(p_value < alpha))


def _selection(
    attribute: str, name: str, positive: pd.Series, group: pd.Series, min_size: int,
    threshold: float, alpha: float | None = None,
) -> tuple[pd.DataFrame, dict[str, Any]]:
    stats = positive.astype(float).groupby(group).agg(["size", "mean"])
    value, detail, usable = _gap(stats["mean"], stats["size"], min_size)
    p_value = _p_value(positive, group, usable)
    rates = pd.DataFrame({"attribute": attribute, "group": stats.index.astype(str),
                          "outcome": name, "n": stats["size"].to_numpy(),
                          "rate": stats["mean"].to_numpy()})
    metric = {"attribute": attribute, "outcome": name, "metric": DPD, "value": value,
              "p_value": p_value, "flagged": _flag(value, p_value, threshold, alpha),
              "detail": detail}
    return rates, metric


def _composition(attribute: str, name: str, values: pd.Series, group: pd.Series) -> pd.DataFrame:
    counts = pd.crosstab(values.astype(str), group.astype(str))
    shares = counts.div(counts.sum(axis=1), axis=0)
    out = counts.stack().rename("n").to_frame().join(shares.stack().rename("share"))
    out.index.names = ["segment", "group"]
    out = out.reset_index()
    out.insert(0, "outcome", name)
    out.insert(0, "attribute", attribute)
    return out


def _equalised_odds(
    attribute: str, y_true: pd.Series, y_pred: pd.Series, group: pd.Series, min_size: int,
    threshold: float, alpha: float | None = None,
) -> tuple[pd.DataFrame, dict[str, Any]]:
    frame = pd.DataFrame({"t": y_true.astype(bool), "p": y_pred.astype(bool), "g": group})
    tpr = frame[frame.t].groupby("g")["p"].agg(["size", "mean"])
    fpr = frame[~frame.t].groupby("g")["p"].agg(["size", "mean"])
    tpr_gap, tpr_detail, tpr_groups = _gap(tpr["mean"], tpr["size"], min_size)
    fpr_gap, fpr_detail, fpr_groups = _gap(fpr["mean"], fpr["size"], min_size)
    # the p-value of the larger of the two differences
    candidates = [(gap, _p_value(part.p, part.g, groups))
                  for gap, part, groups in ((tpr_gap, frame[frame.t], tpr_groups),
                                            (fpr_gap, frame[~frame.t], fpr_groups))
                  if not np.isnan(gap)]
    value, p_value = max(candidates) if candidates else (float("nan"), float("nan"))
    rates = pd.concat([
        pd.DataFrame({"attribute": attribute, "group": t.index.astype(str), "outcome": name,
                      "n": t["size"].to_numpy(), "rate": t["mean"].to_numpy()})
        for name, t in (("true_positive_rate", tpr), ("false_positive_rate", fpr))
    ])
    metric = {"attribute": attribute, "outcome": "model", "metric": EOD, "value": value,
              "p_value": p_value, "flagged": _flag(value, p_value, threshold, alpha),
              "detail": f"TPR {tpr_detail}; FPR {fpr_detail}"}
    return rates, metric


RATE_COLUMNS = ["attribute", "group", "outcome", "n", "rate"]
COMPOSITION_COLUMNS = ["attribute", "outcome", "segment", "group", "n", "share"]
METRIC_COLUMNS = ["attribute", "outcome", "metric", "value", "p_value", "flagged", "detail"]
AUDIT_CONSTRAINTS = {
    "threshold": Interval(float, 0.0, 1.0),
    "score_threshold": Interval(float, 0.0, 1.0),
    "min_group_size": Interval(int, 1),
    "proxy_threshold": Interval(float, 0.5, 1.0),  # an AUC: 0.5 is chance
    "alpha": Interval(float, 0.0, 1.0, low_open=True, allow_none=True),
}


def fairness_audit(
    outcomes: pd.DataFrame,
    groups: pd.DataFrame,
    *,
    y_true: pd.Series | None = None,
    y_score: pd.Series | None = None,
    threshold: float = 0.1,
    score_threshold: float = 0.5,
    min_group_size: int = 30,
    features: pd.DataFrame | None = None,
    proxy_threshold: float = 0.7,
    alpha: float | None = None,
) -> AuditResult:
    """Measure outcomes by group and flag differences over ``threshold``.

    Parameters
    ----------
    outcomes : one row per customer (``customer_id`` column or index). Each column is an
        outcome: segment columns and text give the composition by group; booleans and
        0/1 columns (an offer) give selection rates and the demographic-parity
        difference; scores in [0, 1] (``churn_risk``) give their mean by group and the
        selection rate of ``score >= score_threshold``; other numbers give means. Dates
        and text with more than 50 distinct values are skipped.
    groups : one row per customer, one column per sensitive attribute (see
        :func:`sensitive_groups`), aligned with ``outcomes`` on the customer id.
    y_true, y_score : true outcomes and the model's scores (or 0/1 predictions, cut at
        ``score_threshold``) for the equalised-odds difference, aligned likewise.
    features : optional feature matrix; features predicting an attribute with a
        cross-validated AUC over ``proxy_threshold`` are named in ``proxies``.
    alpha : when given, a difference is flagged only if its chi-square test gives a
        p-value below ``alpha`` too (every difference has its ``p_value`` either way).

    Examples
    --------
    >>> groups = pd.DataFrame({"gender": ["f", "m"] * 50})
    >>> outcomes = pd.DataFrame({"offer": [1, 1, 0, 0] * 25, "churn_risk": [0.2, 0.3] * 50})
    >>> fairness_audit(outcomes, groups).flagged
    False
    """
    check_params("fairness_audit", AUDIT_CONSTRAINTS, locals())
    out, grp = _aligned(outcomes, groups)
    rates: list[pd.DataFrame] = []
    comps: list[pd.DataFrame] = []
    metrics: list[dict[str, Any]] = []
    for attribute in grp.columns:
        group = grp[attribute].astype(object).where(grp[attribute].notna(), None)
        known = group.notna()
        for name in out.columns:
            parts = _audit_outcome(attribute, out.loc[known, name], group[known],
                                   min_group_size, threshold, score_threshold, alpha)
            rates, comps, metrics = rates + parts[0], comps + parts[1], metrics + parts[2]
        if y_true is not None and y_score is not None:
            odds = _model_odds(attribute, y_true, y_score, group[known], min_group_size,
                               threshold, score_threshold, alpha)
            rates, metrics = [*rates, odds[0]], [*metrics, odds[1]]
    proxies = _proxies(features, grp, proxy_threshold) if features is not None else pd.DataFrame()
    return AuditResult(threshold, _frame(rates, RATE_COLUMNS), _frame(comps, COMPOSITION_COLUMNS),
                       pd.DataFrame(metrics, columns=METRIC_COLUMNS), proxies, alpha)


def _aligned(outcomes: pd.DataFrame, groups: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Both frames by customer id, on the customers they share."""
    out, grp = _by_customer(outcomes), _by_customer(groups)
    if len(out) != len(grp) or not out.index.equals(grp.index):
        out, grp = out.align(grp, join="inner", axis=0)
        if not len(out):
            raise InputError("outcomes and groups share no customer ids; give both a "
                             f"'{s.CUSTOMER_ID}' column or index.")
    return out, grp


def _frame(parts: list[pd.DataFrame], columns: list[str]) -> pd.DataFrame:
    return pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=columns)


def _audit_outcome(
    attribute: str, values: pd.Series, group: pd.Series, min_size: int, threshold: float,
    score_threshold: float, alpha: float | None = None,
) -> tuple[list[pd.DataFrame], list[pd.DataFrame], list[dict[str, Any]]]:
    name = str(values.name)
    kind = _kind(values)
    if kind == "skip":
        return [], [], []
    if kind == "categorical":
        return [], [_composition(attribute, name, values, group)], []
    present = values.notna()
    values, group = values[present], group[present]
    if kind == "binary":
        r, m = _selection(attribute, name, values.astype(bool), group, min_size, threshold,
                          alpha)
        return [r], [], [m]
    stats = values.astype(float).groupby(group).agg(["size", "mean"])
    means = pd.DataFrame({"attribute": attribute, "group": stats.index.astype(str),
                          "outcome": f"mean {name}", "n": stats["size"].to_numpy(),
                          "rate": stats["mean"].to_numpy()})
    if kind == "numeric":
        return [means], [], []
    r, m = _selection(attribute, f"{name} >= {score_threshold:g}", values >= score_threshold,
                      group, min_size, threshold, alpha)
    return [means, r], [], [m]


def _model_odds(
    attribute: str, y_true: pd.Series, y_score: pd.Series, group: pd.Series, min_size: int,
    threshold: float, score_threshold: float, alpha: float | None = None,
) -> tuple[pd.DataFrame, dict[str, Any]]:
    truth = _by_customer(pd.Series(y_true)).reindex(group.index)
    score = _by_customer(pd.Series(y_score)).reindex(group.index)
    present = truth.notna() & score.notna()
    predicted = score[present].astype(float) >= score_threshold
    return _equalised_odds(attribute, truth[present].astype(bool), predicted, group[present],
                           min_size, threshold, alpha)


def _proxies(features: pd.DataFrame, groups: pd.DataFrame, threshold: float) -> pd.DataFrame:
    features = _by_customer(features)
    parts = []
    for attribute in groups.columns:
        scores = proxy_scores(features, groups[attribute])
        auc = scores.to_numpy()
        parts.append(pd.DataFrame({"attribute": attribute, "feature": scores.index,
                                   "auc": auc, "proxy": auc > threshold}))
    return _frame(parts, ["attribute", "feature", "auc", "proxy"])
