"""Recognise one person's identifiers in cells of output files (used by erasure and export).

A cell matches when

- it *is* the customer id, one of the extra identifiers, or one of their pseudonyms;
- it holds the customer id (or a pseudonym) as a whole word, e.g. in a rejection reason
  (ids of three characters or more: shorter ones only match whole cells);
- it holds one of the person's e-mail addresses, in any letter case;
- it holds a phone-like run of digits ending in the person's phone number's last nine
  digits, however it is spaced or punctuated (``07700 900-123``, ``+44 7700900123``).

A purely numeric customer id (``12``) is only matched exactly in id columns (``*_id``,
``id_value``) and in JSON strings, so numbers elsewhere (a frequency of 12) are never taken
for it.

:func:`redact_json` is the one JSON redaction: the output folder's erasure (``run.json``)
and the service store's (stored events that name the person) both call it.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from shopperlens import schema as s
from shopperlens.privacy.pseudonymise import normalise_email, normalise_phone, pseudonymise

ERASED = "[erased]"
_NUMBER = re.compile(r"^\s*[+-]?\d+(\.\d*)?([eE][+-]?\d+)?\s*$")
_PHONE_RUN = re.compile(r"\+?\d[\d\s().\-]{5,}\d")
_NON_DIGIT = re.compile(r"\D")
_TAIL = 9
_MIN_PHONE_DIGITS = 7
_MIN_WORD = 3  # shorter ids only match whole cells, never words inside text


def is_id_column(name: str) -> bool:
    """Whether a column holds identifiers (so a numeric id may match it exactly)."""
    return name == s.ID_VALUE or name == s.CUSTOMER_ID or name.endswith(("_id", "Id"))


def _word_pattern(words: Iterable[str]) -> re.Pattern[str] | None:
    words = sorted({w for w in words if len(w) >= _MIN_WORD}, key=len, reverse=True)
    if not words:
        return None
    body = "|".join(re.escape(w) for w in words)
    return re.compile(rf"(?<![0-9A-Za-z_])(?:{body})(?![0-9A-Za-z_])")


@dataclass(frozen=True)
class Matcher:
    """The identifiers of one person, compiled for matching cells."""

    exact: frozenset[str]
    numeric_exact: frozenset[str]
    words: re.Pattern[str] | None
    emails: re.Pattern[str] | None
    phone_tails: frozenset[str]
    needles: tuple[str, ...]

    def matches(self, text: str, id_column: bool = False) -> bool:
        """Whether the cell ``text`` holds one of the person's identifiers."""
        stripped = text.strip()
        if stripped in self.exact or (id_column and stripped in self.numeric_exact):
            return True
        if self.words is not None and self.words.search(text):
            return True
        if self.emails is not None and self.emails.search(text):
            return True
        return bool(self.phone_tails) and self._has_phone(text)

    def _has_phone(self, text: str) -> bool:
        if "." in text and _NUMBER.match(text):
            return False  # a decimal number, not a phone
        return any(self._phone_hit(run.group()) for run in _PHONE_RUN.finditer(text))

    def _phone_hit(self, run: str) -> bool:
        digits = _NON_DIGIT.sub("", run)
        return any(tail in digits for tail in self.phone_tails)

    def redact(self, text: str, id_column: bool = False) -> tuple[str, int]:
        """``text`` with every identifier replaced by ``[erased]``, and how many were."""
        if text.strip() in self.exact or (id_column and text.strip() in self.numeric_exact):
            return ERASED, 1
        count = 0
        for pattern in (self.words, self.emails):
            if pattern is not None:
                text, n = pattern.subn(ERASED, text)
                count += n
        if self.phone_tails:
            hits: list[int] = []

            def replace(match: re.Match[str]) -> str:
                if self._phone_hit(match.group()):
                    hits.append(1)
                    return ERASED
                return match.group()

            text = _PHONE_RUN.sub(replace, text)
            count += len(hits)
        return text, count


def build_matcher(
    customer_id: str,
    extra_identifiers: Iterable[str] = (),
    *,
    key: bytes | str | None = None,
    default_country: str | None = "GB",
    ids: Iterable[str] = (),
) -> Matcher:
    """Compile the identifiers of one person: the id, e-mails, phones and their pseudonyms.

    ``extra_identifiers`` are read as e-mails, phones or ids by their look; ``ids`` (the
    service's anonymous ids, say) are always ids, never taken for a phone number.
    """
    extras = [str(x).strip() for x in extra_identifiers if x is not None and str(x).strip()]
    emails = [e for e in (normalise_email(x) for x in extras if "@" in x) if e]
    phones = [x for x in extras if "@" not in x and _looks_like_phone(x)]
    others = [x for x in extras if x not in phones and "@" not in x]
    others += [str(x).strip() for x in ids if x is not None and str(x).strip()]
    extras += [x for x in others if x not in extras]
    tails = set()
    for phone in phones:
        digits = _NON_DIGIT.sub("", normalise_phone(phone, default_country) or "")
        tails.add(digits[-_TAIL:])
    tokens = _pseudonyms(str(customer_id), extras, key, default_country)
    plain = [str(customer_id).strip(), *others]
    numeric = {p for p in [*plain, *extras] if _NUMBER.match(p)}
    exact = {*plain, *extras, *tokens} - numeric
    email_re = re.compile("|".join(map(re.escape, emails)), re.IGNORECASE) if emails else None
    return Matcher(
        exact=frozenset(exact),
        numeric_exact=frozenset(numeric),
        words=_word_pattern([*(p for p in plain if p not in numeric), *tokens]),
        emails=email_re,
        phone_tails=frozenset(t for t in tails if len(t) >= _MIN_PHONE_DIGITS),
        needles=tuple(dict.fromkeys([str(customer_id), *extras, *emails, *tokens])),
    )


def _looks_like_phone(value: str) -> bool:
    digits = _NON_DIGIT.sub("", value)
    return len(digits) >= _MIN_PHONE_DIGITS and len(digits) >= 0.6 * len(value.replace(" ", ""))


def _pseudonyms(
    customer_id: str, extras: list[str], key: bytes | str | None, country: str | None
) -> list[str]:
    if key is None:
        return []
    values = [customer_id, *extras]
    out: set[str] = set()
    for kind in ("email", "phone", "id"):
        tokens = pseudonymise(values, key=key, kind=kind, default_country=country)  # type: ignore[arg-type]
        out.update(t for t in tokens.tolist() if t)
    return sorted(out)


def redact_json(value: Any, matcher: Matcher) -> tuple[Any, int]:
    """``value`` (decoded JSON) without the person, and how many occurrences went.

    Keys naming them are dropped with their values, list items that are one of their
    identifiers are dropped, and identifiers inside other strings become ``[erased]``.
    A JSON string is a label, not a count, so a numeric id matches it exactly.

    >>> m = build_matcher("C100", ids=["a1"])
    >>> redact_json({"note": "refund for C100", "C100": 2, "n": ["C100", "C10"], "a": "a1"}, m)
    ({'note': 'refund for [erased]', 'n': ['C10'], 'a': '[erased]'}, 4)
    """
    if isinstance(value, dict):
        out, count = {}, 0
        for k, v in value.items():
            if matcher.matches(str(k), True):
                count += 1
                continue
            out[k], n = redact_json(v, matcher)
            count += n
        return out, count
    if isinstance(value, list):
        items, count = [], 0
        for v in value:
            if isinstance(v, str) and matcher.redact(v, True)[0] == ERASED:
                count += 1
                continue
            item, n = redact_json(v, matcher)
            items.append(item)
            count += n
        return items, count
    if isinstance(value, str):
        return matcher.redact(value, True)
    return value, 0
