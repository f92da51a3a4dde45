"""Segment rules as a reader should see them: two rules of one segment that differ
only in one clause, ``X above t`` in one and ``X at most t`` in the other, say together
that ``X`` does not matter, so they become one rule without that clause; a rule that
repeats a more general rule of the same segment with more clauses is dropped.

The rules are the segment model's plain-word conjunctions (``" and "``-joined clauses
``<label> above <n>``, ``<label> at most <n>``, ``<label> between <n> and <m>``).
"""

from __future__ import annotations

import re

_CLAUSE = re.compile(r"(?P<label>.+?) (?:(?P<op>above|at most) (?P<t>\S+)|between \S+ and \S+)$")
_BETWEEN_HEAD = re.compile(r".+ between \S+$")


def clauses(rule: str) -> list[str]:
    """The clauses of a rule, a ``between a and b`` kept whole.

    >>> clauses("orders above 2 and spend between 10 and 20 and returns at most 0.1")
    ['orders above 2', 'spend between 10 and 20', 'returns at most 0.1']
    """
    parts = rule.split(" and ")
    out: list[str] = []
    for part in parts:
        if out and _BETWEEN_HEAD.fullmatch(out[-1]) and re.fullmatch(r"\S+", part):
            out[-1] = f"{out[-1]} and {part}"
        else:
            out.append(part)
    return out


def _complementary(a: str, b: str) -> bool:
    """``X above t`` and ``X at most t``, in either order."""
    ma, mb = _CLAUSE.fullmatch(a), _CLAUSE.fullmatch(b)
    if not ma or not mb or not ma["op"] or not mb["op"]:
        return False
    return (ma["label"], ma["t"]) == (mb["label"], mb["t"]) and ma["op"] != mb["op"]


def _merge_once(rules: list[list[str]]) -> bool:
    """Merge one pair of rules that differ only in a complementary clause; True if so."""
    for i, a in enumerate(rules):
        for j in range(i + 1, len(rules)):
            b = rules[j]
            only_a = [c for c in a if c not in b]
            only_b = [c for c in b if c not in a]
            if len(only_a) == len(only_b) == 1 and _complementary(only_a[0], only_b[0]):
                rules[i] = [c for c in a if c != only_a[0]]
                del rules[j]
                return True
    return False


def simplify(rules: list[str]) -> list[str]:
    """The rules of one segment with complementary pairs merged and rules implied by a
    more general one dropped; the order of first appearance is kept.

    >>> simplify(["discount above 0.2 and variety above 1.2",
    ...           "discount above 0.2 and variety at most 1.2", "orders above 9"])
    ['discount above 0.2', 'orders above 9']
    >>> simplify(["a above 1 and b above 2", "a above 1"])
    ['a above 1']
    """
    parsed = [clauses(rule) for rule in rules]
    while _merge_once(parsed):
        pass
    kept = [r for i, r in enumerate(parsed)
            if not any(j != i and set(o) < set(r) for j, o in enumerate(parsed))]
    out: list[str] = []
    for rule in kept:
        text = " and ".join(rule) if rule else "all customers"
        if text not in out:
            out.append(text)
    return out
