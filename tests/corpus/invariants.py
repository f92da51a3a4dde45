"""Invariants every run must keep on any data folder, written once for the whole corpus.

Each check takes plain frames (so ``test_invariants.py`` can feed it hand-made outputs
that break it) and returns a list of violations, one line each with an example customer
and the values that break it; an empty list means the invariant holds.
:func:`check_run` loads a run's output folder and applies every check.

Assumptions, stated once:

- "Customer" is ``customer_id``. The per-customer outputs are ``segments`` and
  ``predictions`` (Parquet and CSV) and ``features.parquet``. They cover the same
  customers, except that ``features`` may also hold customers excluded from profiling
  (``consent_profiling`` false) when the caller names them in ``excluded``.
- Probabilities are the columns named ``p_*``, ``*_risk`` or containing ``probability``.
- The reference date of a run is ``as_of`` in ``run.json`` (the cutoff, or the end of
  the data), else ``cutoff``. The horizon of ``next_order_date`` is the first key of
  ``run.json`` named in :data:`HORIZON_KEYS` (a run that states its horizon), else
  ``value_horizon_days`` (the longest horizon a run predicts over), else 365 days.
- Days since the last order is the feature ``recency_days``, orders ``frequency``; the
  medians compared against are those of the customers who have a value (buyers).
- A name is "recent" when one of its words is in :data:`RECENT_WORDS`, "lapsed" when in
  :data:`LAPSED_WORDS` (whole words: "inactive" is lapsed, not active).
"""

from __future__ import annotations

import html
import json
import re
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import pandas as pd

CUSTOMER = "customer_id"
RECENCY, FREQUENCY = "recency_days", "frequency"
PER_CUSTOMER = ("segments.parquet", "segments.csv", "predictions.parquet", "predictions.csv")
FEATURES = "features.parquet"
PROFILES = ("segment_profiles.parquet", "segment_profiles.csv")
HORIZON_KEYS = ("next_order_horizon_days", "next_order_date_horizon_days",
                "next_order_horizon")
DEFAULT_HORIZON_DAYS = 365
RECENT_WORDS = frozenset({"recent", "new", "newcomer", "newcomers", "active", "fresh"})
LAPSED_WORDS = frozenset({"lapsed", "lapsing", "lost", "churn", "churned", "churning",
                          "inactive", "dormant"})
NO_PURCHASES = ("No purchases yet", "No purchases")
CHAMPIONS = "Champions"
ALIVE, CHURN = 0.95, 0.9
EDGE_SHARE = 0.05  # of a behavioural segment's members that may sit past its name's side
_RULE = re.compile(r"days since last order (above|at most|below|between) ([\d,.]+)"
                   r"(?: and ([\d,.]+))?")


def _show(value: object) -> str:
    return f"{value:.4g}" if isinstance(value, float) else repr(value)


def _example(frame: pd.DataFrame, mask: pd.Series, columns: Iterable[str]) -> str:
    """``customer_id`` and ``columns`` of the first row of ``mask``."""
    row = frame[mask].iloc[0]
    values = ", ".join(f"{c}={_show(row[c])}" for c in columns if c in frame)
    who = f"customer {row[CUSTOMER]!r}: " if CUSTOMER in frame else ""
    return f"{who}{values}"


def exit_code(code: int, output: str) -> list[str]:
    """0 (success) or 2 (the user's input); never 1 (internal error) or anything else."""
    if code in (0, 2):
        return []
    return [f"exit code {code} (0 or 2 expected): {output.strip()[-600:]}"]


def one_row_per_customer(frames: Mapping[str, pd.DataFrame], features: pd.DataFrame | None,
                         excluded: Iterable[str] = ()) -> list[str]:
    """Every customer once in every per-customer output, all covering the same customers
    (``features`` may hold the ``excluded`` ones besides)."""
    problems = []
    named = {**frames, **({FEATURES: features} if features is not None else {})}
    ids: dict[str, set[str]] = {}
    for name, frame in named.items():
        if CUSTOMER not in frame:
            problems.append(f"{name}: no {CUSTOMER} column")
            continue
        dup = frame[CUSTOMER].duplicated(keep=False)
        if dup.any():
            problems.append(f"{name}: {int(dup.sum())} rows of repeated customers, e.g. "
                            f"{frame.loc[dup, CUSTOMER].iloc[0]!r}")
        ids[name] = set(frame[CUSTOMER].astype(str))
    if not ids:
        return problems
    reference_name = next((n for n in frames if n in ids), next(iter(ids)))
    reference = ids[reference_name]
    allowed = set(map(str, excluded))
    for name, found in ids.items():
        extra, missing = found - reference, reference - found
        if name == FEATURES:
            extra -= allowed
        if extra or missing:
            example = sorted(extra or missing)[0]
            problems.append(f"{name} and {reference_name} cover different customers: "
                            f"{len(extra)} only in {name}, {len(missing)} only in "
                            f"{reference_name}, e.g. {example!r}")
    return problems


def _probability_columns(frame: pd.DataFrame) -> list[str]:
    return [c for c in frame.columns
            if c.startswith("p_") or c.endswith("_risk") or "probability" in c]


def probabilities_in_range(frames: Mapping[str, pd.DataFrame]) -> list[str]:
    """Every probability in [0, 1] (missing allowed)."""
    problems = []
    for name, frame in frames.items():
        for column in _probability_columns(frame):
            values = pd.to_numeric(frame[column], errors="coerce")
            bad = values.notna() & ((values < 0) | (values > 1))
            bad |= frame[column].notna() & values.isna()  # not a number at all
            if bad.any():
                problems.append(f"{name}.{column} outside [0, 1] for {int(bad.sum())} "
                                f"customers, e.g. {_example(frame, bad, [column])}")
    return problems


def alive_and_churn_agree(predictions: pd.DataFrame) -> list[str]:
    """Nobody both almost surely still a customer and almost surely churning."""
    if not {"p_alive", "churn_risk"} <= set(predictions.columns):
        return []
    both = (predictions["p_alive"] >= ALIVE) & (predictions["churn_risk"] >= CHURN)
    if not both.any():
        return []
    return [f"{int(both.sum())} customers with p_alive >= {ALIVE} and churn_risk >= {CHURN}, "
            f"e.g. {_example(predictions, both, ['p_alive', 'churn_risk'])}"]


def next_order_within_horizon(predictions: pd.DataFrame, as_of: pd.Timestamp,
                              horizon_days: float) -> list[str]:
    """No ``next_order_date`` after ``as_of`` + ``horizon_days``; every one a real date."""
    if "next_order_date" not in predictions:
        return []
    raw = predictions["next_order_date"]
    given = raw.notna() & (raw.astype(str).str.strip() != "")
    dates = pd.to_datetime(raw.where(given).astype(str), errors="coerce", format="ISO8601")
    problems = []
    unreadable = given & dates.isna()
    if unreadable.any():
        problems.append(f"{int(unreadable.sum())} next_order_date values are not dates, "
                        f"e.g. {_example(predictions, unreadable, ['next_order_date'])}")
    limit = pd.Timestamp(as_of).tz_localize(None) + pd.Timedelta(days=horizon_days)
    late = dates.notna() & (dates.dt.tz_localize(None) > limit)
    if late.any():
        problems.append(f"{int(late.sum())} next_order_date after {limit.date()} (as of "
                        f"{pd.Timestamp(as_of).date()} + {horizon_days:g} days), e.g. "
                        f"{_example(predictions, late, ['next_order_date', 'p_alive'])}")
    return problems


def _words(name: object) -> set[str]:
    return set(re.findall(r"[a-z]+", str(name).lower()))


def _members(segments: pd.DataFrame, features: pd.DataFrame, column: str) -> pd.DataFrame:
    """``segments[[customer_id, column]]`` with the recency and frequency of each."""
    wanted = [c for c in (CUSTOMER, RECENCY, FREQUENCY) if c in features]
    joined = segments[[CUSTOMER, column]].astype({CUSTOMER: str}).merge(
        features[wanted].astype({CUSTOMER: str}), on=CUSTOMER, how="left")
    for c in (RECENCY, FREQUENCY):
        joined[c] = pd.to_numeric(joined[c], errors="coerce") if c in joined else float("nan")
    return joined


def names_match_members(segments: pd.DataFrame, features: pd.DataFrame) -> list[str]:
    """A "recent" name's members are at least as recent as everyone's median, a "lapsed"
    name's at most; RFM Champions are recent and frequent relative to everyone."""
    problems = []
    for column in ("segment_name", "rfm_segment"):
        if column not in segments:
            continue
        joined = _members(segments, features, column)
        median_recency = joined[RECENCY].dropna().median()
        median_frequency = joined[FREQUENCY].dropna().median()
        # dropna: pandas 2 warns on the median of nothing but gaps (pandas 3 says NaN)
        for name, group in joined.groupby(column, observed=True):
            words, recency = _words(name), group[RECENCY].dropna().median()
            says = ("recent" if words & RECENT_WORDS else
                    "lapsed" if words & LAPSED_WORDS else None)
            if says == "recent" and recency > median_recency:
                problems.append(f"{column} {name!r} says recent but its members' median days "
                                f"since last order is {recency:g} > everyone's {median_recency:g}")
            if says == "lapsed" and recency < median_recency:
                problems.append(f"{column} {name!r} says lapsed but its members' median days "
                                f"since last order is {recency:g} < everyone's {median_recency:g}")
            if column == "rfm_segment" and name == CHAMPIONS:
                frequency = group[FREQUENCY].dropna().median()
                if recency > median_recency or frequency < median_frequency:
                    problems.append(
                        f"RFM {CHAMPIONS}: median days since last order {recency:g} (everyone "
                        f"{median_recency:g}), median orders {frequency:g} (everyone "
                        f"{median_frequency:g}): not recent and frequent")
    return problems


def names_fit_every_member(segments: pd.DataFrame, features: pd.DataFrame) -> list[str]:
    """No member plainly on the other side of its name (for a behavioural segment, at
    most :data:`EDGE_SHARE` of its members): nobody in a "recent" segment less recent
    than three quarters of everyone, nobody in a "lapsed" one more recent than three
    quarters of everyone, no RFM Champion less recent than half of everyone
    (the RFM grid itself only makes a Champion of a recency score of 4 or 5)."""
    problems = []
    for column in ("segment_name", "rfm_segment"):
        if column not in segments:
            continue
        joined = _members(segments, features, column)
        q1, median, q3 = joined[RECENCY].quantile([0.25, 0.5, 0.75])
        # dropna: pandas 2 warns on the median of nothing but gaps (pandas 3 says NaN)
        for name, group in joined.groupby(column, observed=True):
            words, recency = _words(name), group[RECENCY]
            checks = []
            if words & RECENT_WORDS:
                checks.append((recency > q3, f"above everyone's 3rd quartile {q3:g}"))
            if words & LAPSED_WORDS:
                checks.append((recency < q1, f"below everyone's 1st quartile {q1:g}"))
            if column == "rfm_segment" and name == CHAMPIONS:
                checks.append((recency > median, f"above everyone's median {median:g}"))
            # RFM labels are rules on each member's own scores: none may contradict them.
            # A behavioural segment is a cluster named after its typical member; a few
            # members at its edge may sit past the opposite quartile, not more.
            allowed = 0 if column == "rfm_segment" else int(EDGE_SHARE * len(group))
            for bad, bound in checks:
                if bad.sum() > allowed:
                    problems.append(
                        f"{column} {name!r}: {int(bad.sum())} of {len(group)} members with "
                        f"days since last order {bound}, e.g. "
                        f"{_example(group, bad, [RECENCY, FREQUENCY])}")
    return problems


def no_purchase_members(segments: pd.DataFrame, features: pd.DataFrame) -> list[str]:
    """Members of a "No purchases" segment have no orders (``frequency`` 0 or missing)."""
    problems = []
    for column in ("segment_name", "rfm_segment"):
        if column not in segments:
            continue
        joined = _members(segments, features, column)
        bought = joined[column].isin(NO_PURCHASES) & (joined[FREQUENCY].fillna(0) > 0)
        if bought.any():
            problems.append(f"{column} 'No purchases' holds {int(bought.sum())} buyers, e.g. "
                            f"{_example(joined, bought, [column, FREQUENCY, RECENCY])}")
    return problems


def _profile_keys(profiles: pd.DataFrame) -> tuple[str, str] | None:
    """The id and name columns of the profiles: the contract's, else the old ones (the
    contract itself is checked by ``tests/test_data_contract.py``)."""
    for pair in (("segment_id", "segment_name"), ("segment", "name")):
        if set(pair) <= set(profiles.columns):
            return pair
    return None


def profiles_match_segments(segments: pd.DataFrame, profiles: pd.DataFrame) -> list[str]:
    """Every segment of ``segments`` has a profile with its name and its member count."""
    keys = _profile_keys(profiles)
    if keys is None or "size" not in profiles:
        return [f"segment_profiles has no segment id, name and size columns: "
                f"{list(profiles.columns)}"]
    id_col, name_col = keys
    by_id = profiles.set_index(profiles[id_col].astype(str))
    problems = []
    counts = segments.groupby(segments["segment_id"].astype(str), observed=True)
    for segment_id, group in counts:
        name = group["segment_name"].iloc[0]
        if segment_id not in by_id.index:
            problems.append(f"segment {segment_id} {name!r} ({len(group)} customers, e.g. "
                            f"{group[CUSTOMER].iloc[0]!r}) has no row in segment_profiles")
            continue
        profile = by_id.loc[segment_id]
        if int(profile["size"]) != len(group):
            problems.append(f"segment {segment_id} {name!r}: size {int(profile['size'])} in "
                            f"segment_profiles, {len(group)} members in segments")
        if str(profile[name_col]) != str(name):
            problems.append(f"segment {segment_id}: named {name!r} in segments, "
                            f"{profile[name_col]!r} in segment_profiles")
    return problems


def _rule_bounds(text: str) -> list[tuple[float | None, float | None]]:
    """(lowest, highest) days since last order each rule in ``text`` allows."""
    bounds = []
    for kind, first, second in _RULE.findall(text):
        a = float(first.replace(",", "").rstrip("."))
        if kind == "above":
            bounds.append((a, None))
        elif kind in ("at most", "below"):
            bounds.append((None, a))
        else:
            bounds.append((a, float(second.replace(",", "").rstrip("."))))
    return bounds


def rules_match_names(profiles: pd.DataFrame, features: pd.DataFrame) -> list[str]:
    """No rule of a "recent" segment asks for days since last order all above everyone's
    median, nor a rule of a "lapsed" one for days all below it."""
    keys = _profile_keys(profiles)
    if keys is None or "rules" not in profiles or RECENCY not in features:
        return []
    median = pd.to_numeric(features[RECENCY], errors="coerce").median()
    problems = []
    for _, row in profiles.iterrows():
        name, words = row[keys[1]], _words(row[keys[1]])
        rules = row["rules"]
        text = "; ".join(map(str, rules)) if not isinstance(rules, str) and hasattr(
            rules, "__iter__") else str(rules)
        for low, high in _rule_bounds(text):
            if words & RECENT_WORDS and low is not None and low >= median:
                problems.append(f"segment {name!r} says recent but a rule asks for days since "
                                f"last order above {low:g} (everyone's median {median:g})")
            if words & LAPSED_WORDS and high is not None and high <= median:
                problems.append(f"segment {name!r} says lapsed but a rule asks for days since "
                                f"last order at most {high:g} (everyone's median {median:g})")
    return problems


def segments_shown(segments: pd.DataFrame, texts: Mapping[str, str]) -> list[str]:
    """Every segment of ``segments`` ("No purchases yet" included) is named in each of
    ``texts`` (the terminal's summary, the report's HTML)."""
    problems = []
    for name in segments["segment_name"].dropna().unique():
        spellings = {str(name), html.escape(str(name)), html.escape(str(name), quote=False)}
        for where, text in texts.items():
            if not any(spelling in text for spelling in spellings):
                size = int((segments["segment_name"] == name).sum())
                problems.append(f"segment {name!r} ({size} customers) is not shown in {where}")
    return problems


def _find(record: Any, keys: Iterable[str]) -> Any:
    """The value of the first of ``keys`` found anywhere in ``record`` (depth first)."""
    keys = tuple(keys)
    if isinstance(record, dict):
        for key in keys:
            if record.get(key) is not None:
                return record[key]
        for value in record.values():
            found = _find(value, keys)
            if found is not None:
                return found
    return None


def horizon_days(record: Mapping[str, Any]) -> float:
    """The horizon ``next_order_date`` may reach (see the module's assumptions)."""
    stated = _find(record, HORIZON_KEYS)
    if stated is None:
        stated = _find(record, ("value_horizon_days",))
    return float(stated) if stated is not None else DEFAULT_HORIZON_DAYS


def as_of(record: Mapping[str, Any]) -> pd.Timestamp | None:
    found = _find(record, ("as_of", "cutoff"))
    return None if found is None else pd.Timestamp(found)


def read_outputs(out: Path) -> dict[str, pd.DataFrame]:
    """The per-customer and profile outputs present in ``out``, ids read as text."""
    frames = {}
    for name in (*PER_CUSTOMER, FEATURES, *PROFILES):
        path = out / name
        if path.is_file():
            frames[name] = (pd.read_parquet(path) if name.endswith(".parquet") else
                            pd.read_csv(path, dtype={CUSTOMER: str}, keep_default_na=False,
                                        na_values=[""]))
    return frames


def check_outputs(out: Path, excluded: Iterable[str] = (), terminal: str | None = None
                  ) -> list[str]:
    """Every invariant on the outputs of a successful run in ``out`` (and on what it
    printed, ``terminal``, when given)."""
    frames = read_outputs(out)
    problems = [f"{name} missing" for name in (*PER_CUSTOMER, FEATURES, PROFILES[0])
                if name not in frames]
    per_customer = {n: frames[n] for n in PER_CUSTOMER if n in frames}
    features = frames.get(FEATURES)
    problems += one_row_per_customer(per_customer, features, excluded)
    problems += probabilities_in_range({**per_customer, **({FEATURES: features}
                                                           if features is not None else {})})
    predictions, segments = frames.get("predictions.parquet"), frames.get("segments.parquet")
    record = json.loads((out / "run.json").read_text()) if (out / "run.json").is_file() else {}
    if predictions is not None:
        problems += alive_and_churn_agree(predictions)
        when = as_of(record)
        if when is None:
            problems.append("run.json states no as_of or cutoff date")
        else:
            problems += next_order_within_horizon(predictions, when, horizon_days(record))
    if segments is not None and features is not None:
        problems += names_match_members(segments, features)
        problems += names_fit_every_member(segments, features)
        problems += no_purchase_members(segments, features)
    if segments is not None:
        texts = {} if terminal is None else {"the terminal's summary": terminal}
        if (out / "report.html").is_file():
            texts["report.html"] = (out / "report.html").read_text(encoding="utf-8")
        problems += segments_shown(segments, texts)
    profiles = frames.get(PROFILES[0])
    if segments is not None and profiles is not None:
        problems += profiles_match_segments(segments, profiles)
        if features is not None:
            problems += rules_match_names(profiles, features)
    return problems


def check_run(code: int, output: str, out: Path, excluded: Iterable[str] = ()) -> list[str]:
    """The exit code, then, on success, every invariant on the outputs."""
    problems = exit_code(code, output)
    if code == 0:
        problems += check_outputs(out, excluded, terminal=output)
    return problems
