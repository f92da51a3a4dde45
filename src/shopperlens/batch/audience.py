"""``shopperlens audience``: a segment's customers to send to, from a run's output.

Left out: the campaign's (or the global) persistent hold-out
(:func:`shopperlens.campaigns.held_out`, the same customers on every run) and everyone
whose ``consent_marketing`` (or ``consent_profiling``: a segment is a profile) is false
in the data folder's ``customers`` table.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from shopperlens import schema as s
from shopperlens.campaigns.holdout import audience
from shopperlens.errors import InputError, MissingTableError
from shopperlens.ingest.readers import SUFFIXES
from shopperlens.privacy.consent import filter_audience

__all__ = ["export_audience"]


def export_audience(run_dir: Path, data: Path, segment: str, out: Path, *,
                    campaign_id: str | None = None, control_share: float = 0.1,
                    per_segment: bool = False) -> pd.DataFrame:
    """Write ``out`` (CSV: ``customer_id``, ``segment_id``) and return it. ``segment``
    is a segment id or name, as in ``segments.csv``."""
    path = run_dir / f"{s.SEGMENTS_FILE}.parquet"
    if not path.is_file():
        raise MissingTableError(f"{path} not found: give --run the output folder of a "
                                "`shopperlens run`.")
    segments = pd.read_parquet(path, columns=[s.CUSTOMER_ID, s.SEGMENT_ID, s.SEGMENT_NAME])
    chosen = _segment_id(segments, segment)
    members = segments[segments[s.SEGMENT_ID] == chosen].sort_values(s.CUSTOMER_ID)
    members = filter_audience(members, _consents(data))
    kept = audience(members[s.CUSTOMER_ID], control_share, campaign_id,
                    chosen if per_segment else None)
    frame = pd.DataFrame({s.CUSTOMER_ID: kept, s.SEGMENT_ID: chosen})
    out.parent.mkdir(parents=True, exist_ok=True)
    frame.to_csv(out, index=False)
    return frame


def _segment_id(segments: pd.DataFrame, segment: str) -> int:
    names = segments[s.SEGMENT_NAME].astype(str).str.lower()
    ids = dict(zip(names, segments[s.SEGMENT_ID], strict=True))
    text = segment.strip()
    if text.lstrip("-").isdigit() and int(text) in set(segments[s.SEGMENT_ID]):
        return int(text)
    if text.lower() in ids:
        return int(ids[text.lower()])
    known = "; ".join(f"{i} = {n}" for n, i in sorted(ids.items(), key=lambda x: x[1]))
    raise InputError(f"No segment {segment!r} in this run; give an id or a name ({known}).")


def _consents(data: Path) -> pd.DataFrame | None:
    """The consent columns of the customers table; None without one (consent unknown)."""
    if not data.is_dir():
        raise InputError(f"{data}: no such data folder; give --data the run's data folder.")
    found = [data / f"{s.CUSTOMERS.name}{x}" for x in SUFFIXES]
    path = next((p for p in found if p.is_file()), None)
    if path is None:
        return None
    wanted = [s.CUSTOMER_ID, s.CONSENT_MARKETING, s.CONSENT_PROFILING]
    frame = (pd.read_parquet(path) if path.name.endswith(".parquet")
             else pd.read_csv(path, dtype=str, keep_default_na=False))
    return frame[[c for c in wanted if c in frame.columns]]
