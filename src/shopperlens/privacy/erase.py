"""Rights of the data subject over a run's output folder: erasure, access, retention.

:func:`forget` removes a person from every file of an output folder and leaves a receipt
without personal data; :func:`export_subject` returns what the folder holds about them;
:func:`apply_retention` drops events older than the retention period. These are the one
part of ``privacy`` that touches files: the output folder is passed in explicitly, and
neither the clock nor the environment is read (the caller passes ``requested_at``).

What :func:`forget` does per file (paths relative to the output folder):

=================================  ===============================================
file                               action
=================================  ===============================================
``*.csv``, ``*.parquet``           rows holding the person are dropped (segments,
                                   predictions, features, ``rejected/*``,
                                   ``audiences/*``, anything else tabular)
``segment_profiles.*``             aggregates: kept (noted in the receipt); any
                                   identifier in a cell would be redacted
``*.json`` (``run.json``)          keys and list items naming the person dropped,
                                   text redacted; ``privacy`` block updated
``*.html``, ``*.txt``, ...         identifiers redacted to ``[erased]``
``*.joblib``, ``*.pkl``            searched after decompression; a model that can
                                   ``forget(customer_id)`` (the recommender) is
                                   loaded, told and saved again; if the person is
                                   still inside, listed in ``retrain_required``
other files                        searched; listed in ``needs_review`` if found
=================================  ===============================================
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

import pandas as pd

from shopperlens import schema as s
from shopperlens._params import Interval, check_params
from shopperlens.errors import InputError
from shopperlens.privacy import _files as f
from shopperlens.privacy._match import Matcher, build_matcher
from shopperlens.privacy.pseudonymise import pseudonymise

RECEIPTS_DIR = "erasure_receipts"
AGGREGATE_STEMS = frozenset({s.PROFILES_FILE})
PRIVACY_KEY = "privacy"


@runtime_checkable
class ErasableStore(Protocol):
    """A store that can erase one customer (the service store implements it)."""

    def erase_customer(self, customer_id: str) -> int:
        """Delete everything held about ``customer_id``; return how many rows went."""
        ...


@dataclass
class FileErasure:
    """What erasure did to one file (its path is relative to the output folder)."""

    path: str
    rows_removed: int = 0
    cells_redacted: int = 0


@dataclass
class ErasureReceipt:
    """Proof of an erasure that holds no personal data.

    ``subject`` is the keyed pseudonym of the customer id (``None`` without a key).
    """

    receipt: str
    subject: str | None
    requested_at: str | None
    files: list[FileErasure] = field(default_factory=list)
    aggregates: list[str] = field(default_factory=list)
    retrain_required: list[str] = field(default_factory=list)
    needs_review: list[str] = field(default_factory=list)
    stores: list[dict[str, Any]] = field(default_factory=list)

    @property
    def rows_removed(self) -> int:
        """Rows dropped over all files and stores."""
        return sum(x.rows_removed for x in self.files) + sum(x["rows_removed"] for x in self.stores)

    def to_dict(self) -> dict[str, Any]:
        """The receipt as JSON-able data."""
        return {**asdict(self), "rows_removed": self.rows_removed}


def _files(out: Path) -> list[Path]:
    return sorted(
        p for p in out.rglob("*")
        if p.is_file() and RECEIPTS_DIR not in p.relative_to(out).parts
        and not p.name.endswith(".erasing")
    )


def _check_folder(out_dir: str | Path) -> Path:
    out = Path(out_dir)
    if not out.is_dir():
        raise InputError(f"{out}: no output folder here (run `shopperlens run` first).")
    return out


def _subject(customer_id: str, key: bytes | str | None) -> str | None:
    if key is None:
        return None
    return str(pseudonymise([str(customer_id)], key=key, kind="id").iloc[0])


def _next_receipt(folder: Path) -> str:
    numbers = [int(p.stem) for p in folder.glob("*.json") if p.stem.isdigit()]
    return f"{max(numbers, default=0) + 1:06d}"


def _erase_file(path: Path, rel: str, matcher: Matcher, receipt: ErasureReceipt,
                customer_id: str) -> None:
    suffix = path.suffix.lower()
    aggregate = path.stem in AGGREGATE_STEMS and len(Path(rel).parts) == 1
    if aggregate:
        receipt.aggregates.append(rel)
    if suffix in (".csv", ".parquet"):
        scrub = f.scrub_csv if suffix == ".csv" else f.scrub_parquet
        rows, cells = scrub(path, matcher, aggregate=aggregate)
        _note(receipt, rel, rows, cells)
    elif suffix == ".json":
        _note(receipt, rel, 0, f.scrub_json(path, matcher))
    elif suffix in f.MODEL_SUFFIXES:
        if f.bytes_contain(f.decompressed(path.read_bytes()), matcher.needles):
            _note(receipt, rel, f.forget_in_model(path, customer_id), 0)
        if f.bytes_contain(f.decompressed(path.read_bytes()), matcher.needles):
            receipt.retrain_required.append(rel)
    else:
        found = f.scrub_text(path, matcher) if suffix in f.TEXT_SUFFIXES else None
        if found is None and f.bytes_contain(path.read_bytes(), matcher.needles):
            receipt.needs_review.append(rel)
        elif found:
            _note(receipt, rel, 0, found)


def _note(receipt: ErasureReceipt, rel: str, rows: int, cells: int) -> None:
    if rows or cells:
        receipt.files.append(FileErasure(rel, rows, cells))


def forget(
    customer_id: str,
    out_dir: str | Path,
    *,
    key: bytes | str | None = None,
    extra_identifiers: Iterable[str] = (),
    stores: Sequence[ErasableStore] = (),
    default_country: str | None = "GB",
    requested_at: str | datetime | None = None,
) -> ErasureReceipt:
    """Erase one person from every file of an output folder (and from ``stores``).

    Parameters
    ----------
    customer_id : the person's customer id.
    out_dir : the output folder of a run.
    key : the pseudonymisation key; with it, pseudonyms of the id and of the extra
        identifiers are erased too, and the receipt names the subject by a keyed hash.
    extra_identifiers : the person's e-mail addresses, phone numbers or other ids, in
        any format; rows holding them anywhere are erased.
    stores : stores whose ``erase_customer`` is called too (the service store).
    default_country : country of national phone numbers.
    requested_at : when the request was made, recorded in the receipt as given.

    Returns
    -------
    The receipt, also written to ``out_dir/erasure_receipts/<number>.json``. When a
    saved model holds the person, it is listed in ``retrain_required`` and ``run.json``
    gets ``privacy.retrain_required: true``.

    Examples
    --------
    >>> import tempfile
    >>> tmp = tempfile.TemporaryDirectory()
    >>> out = Path(tmp.name)
    >>> _ = (out / "segments.csv").write_text("customer_id,segment_id\\nc1,0\\nc2,1\\n")
    >>> receipt = forget("c1", out, key=b"k" * 16)
    >>> receipt.rows_removed, (out / "segments.csv").read_text()
    (1, 'customer_id,segment_id\\nc2,1\\n')
    >>> sorted(p.name for p in (out / "erasure_receipts").iterdir())
    ['000001.json']
    >>> tmp.cleanup()
    """
    out = _check_folder(out_dir)
    matcher = build_matcher(customer_id, extra_identifiers, key=key,
                            default_country=default_country)
    (receipts := out / RECEIPTS_DIR).mkdir(exist_ok=True)
    stamp = requested_at.isoformat() if isinstance(requested_at, datetime) else requested_at
    receipt = ErasureReceipt(_next_receipt(receipts), _subject(customer_id, key), stamp)
    for path in _files(out):
        # a file name that carries the person's id is recorded redacted
        rel = matcher.redact(path.relative_to(out).as_posix())[0]
        _erase_file(path, rel, matcher, receipt, customer_id)
    for store in stores:
        receipt.stores.append({"store": type(store).__name__,
                               "rows_removed": int(store.erase_customer(customer_id))})
    _mark_run(out / s.RUN_FILE, receipt)
    text = json.dumps(receipt.to_dict(), indent=2) + "\n"
    (receipts / f"{receipt.receipt}.json").write_text(text, encoding="utf-8")
    return receipt


def _mark_run(path: Path, receipt: ErasureReceipt) -> None:
    if not path.is_file():
        return
    record = json.loads(path.read_text(encoding="utf-8"))
    block = record.setdefault(PRIVACY_KEY, {})
    block["erasures"] = int(block.get("erasures", 0)) + 1
    block["last_erasure_receipt"] = receipt.receipt
    if receipt.retrain_required:
        block["retrain_required"] = True
        files = {*block.get("retrain_files", []), *receipt.retrain_required}
        block["retrain_files"] = sorted(files)
    path.write_text(json.dumps(record, indent=2, default=str) + "\n", encoding="utf-8")


def export_subject(
    customer_id: str,
    out_dir: str | Path,
    *,
    key: bytes | str | None = None,
    extra_identifiers: Iterable[str] = (),
    default_country: str | None = "GB",
) -> dict[str, Any]:
    """Everything an output folder holds about one person, as JSON-able data (GDPR Art. 15).

    Returns ``{"customer_id": ..., "files": {path: [row records]}, "mentions": [paths],
    "models": [paths]}``: rows of tabular files, files whose text mentions the person,
    and saved models that hold them. Aggregates (segment profiles) are not per person
    and are left out.

    Examples
    --------
    >>> import tempfile
    >>> tmp = tempfile.TemporaryDirectory()
    >>> out = Path(tmp.name)
    >>> _ = (out / "segments.csv").write_text("customer_id,segment_id\\nc1,0\\nc2,1\\n")
    >>> export_subject("c1", out)["files"]
    {'segments.csv': [{'customer_id': 'c1', 'segment_id': '0'}]}
    >>> tmp.cleanup()
    """
    out = _check_folder(out_dir)
    matcher = build_matcher(customer_id, extra_identifiers, key=key,
                            default_country=default_country)
    found: dict[str, Any] = {
        "customer_id": customer_id, "files": {}, "mentions": [], "models": []
    }
    for path in _files(out):
        rel, suffix = path.relative_to(out).as_posix(), path.suffix.lower()
        if path.stem in AGGREGATE_STEMS and len(Path(rel).parts) == 1:
            continue
        if suffix in (".csv", ".parquet"):
            reader = f.csv_records if suffix == ".csv" else f.parquet_records
            rows = reader(path, matcher)
            if rows:
                found["files"][rel] = rows
        elif suffix in f.MODEL_SUFFIXES:
            if f.bytes_contain(f.decompressed(path.read_bytes()), matcher.needles):
                found["models"].append(rel)
        elif f.bytes_contain(path.read_bytes(), matcher.needles) or _text_mentions(path, matcher):
            found["mentions"].append(rel)
    return found


def _text_mentions(path: Path, matcher: Matcher) -> bool:
    try:
        return matcher.matches(path.read_text(encoding="utf-8"))
    except UnicodeDecodeError:
        return False


def find_identifiers(out_dir: str | Path, identifiers: Iterable[str]) -> dict[str, int]:
    """Search every file under ``out_dir`` for exact strings, case-insensitively.

    Raw bytes are searched (as UTF-8, UTF-16 and UTF-32), plus the decompressed payload
    of saved models and the cell values of Parquet files. Returns ``{path: number of the
    identifiers found}`` for the files that hold any: empty after a complete erasure.

    Examples
    --------
    >>> import tempfile
    >>> tmp = tempfile.TemporaryDirectory()
    >>> out = Path(tmp.name)
    >>> _ = (out / "a.csv").write_text("customer_id\\nC1\\n")
    >>> find_identifiers(out, ["c1", "nobody@example.com"])
    {'a.csv': 1}
    >>> tmp.cleanup()
    """
    out = _check_folder(out_dir)
    needles = tuple(str(i) for i in identifiers if str(i))
    hits: dict[str, int] = {}
    for path in sorted(p for p in out.rglob("*") if p.is_file()):
        data = path.read_bytes()
        if path.suffix.lower() in f.MODEL_SUFFIXES:
            data += f.decompressed(data)
        elif path.suffix.lower() == ".parquet":
            data += f.parquet_text(path)
        count = f.bytes_contain(data, needles)
        if count:
            hits[path.relative_to(out).as_posix()] = count
    return hits


def apply_retention(frame: pd.DataFrame, days: int, as_of: datetime | str) -> pd.DataFrame:
    """Rows of ``frame`` whose ``timestamp`` is no older than ``days`` before ``as_of``.

    Rows without a timestamp are kept (their age is unknown; ingestion rejects them).

    Examples
    --------
    >>> events = pd.DataFrame({"timestamp": pd.to_datetime(["2024-01-01", "2024-06-01"])})
    >>> apply_retention(events, 90, "2024-07-01").timestamp.dt.strftime("%Y-%m-%d").tolist()
    ['2024-06-01']
    """
    check_params("apply_retention", {"days": Interval(int, 0)}, {"days": days})
    if s.TIMESTAMP not in frame.columns:
        raise InputError(f"the frame is missing required column '{s.TIMESTAMP}' "
                         f"(found: {', '.join(map(str, frame.columns[:8]))}).")
    stamps = pd.to_datetime(frame[s.TIMESTAMP])
    start = pd.Timestamp(as_of) - timedelta(days=days)
    if stamps.dt.tz is not None and start.tzinfo is None:
        start = start.tz_localize("UTC")
    elif stamps.dt.tz is None and start.tzinfo is not None:
        start = start.tz_convert("UTC").tz_localize(None)
    keep = (stamps >= start) | stamps.isna()
    return frame.loc[keep.to_numpy()].copy()
