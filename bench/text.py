"""Throughput of the text core on realistic retail texts (single core).

Run: ``python bench/text.py [N]``. Prints texts/s for scrubbing, sentiment, scrub +
sentiment, the full ``score_texts`` frame (from a list and from a pandas column), and plain
vaderSentiment's ``polarity_scores`` on the same texts as the baseline measured in the same
run, with our ratio to it. The texts are all distinct, so caching of repeated texts does
not flatter the figures.

Each figure is the best of a few repeats, in CPU seconds of this (single-threaded)
process: on a machine shared with other work, wall-clock time also counts the time other
processes hold the core. The wall-clock rate of the same best repeat is printed beside it.
"""

from __future__ import annotations

import random
import sys
import time
from collections.abc import Callable

import pandas as pd
from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

from shopperlens.text import score_sentiment, score_texts, scrub
from shopperlens.text.emotion import _WORDS
from shopperlens.text.sentiment import _TOKEN_CACHE

OPENERS = ["", "Honestly, ", "Well, ", "To be fair, ", "Update: ", "Ugh. ", "Wow! "]
SUBJECTS = ["the parcel", "my order", "the jacket", "these trainers", "the blender",
            "customer service", "the refund", "delivery", "the app", "the dress"]
VERDICTS = ["arrived two days late", "fits perfectly", "is really comfortable",
            "stopped working after a week", "was damaged in the box", "is great value",
            "runs small, had to return it", "was rude and unhelpful", "never arrived",
            "looks cheap and flimsy", "exceeded my expectations", "is out of stock again",
            "took forever to process", "was quick and easy", "is not worth the money",
            "is absolutely brilliant", "was fine I guess", "doesn't work with my phone"]
TAILS = ["", ".", "!", "!!", " :(", " :)", ", would not buy again.", ", highly recommend.",
         " but the price was right.", " Call me on 07700 900123.",
         " Email me at jane.doe@example.com.", " Order 123456 placed last Tuesday.",
         " Send it to 12 Baker Street, London NW1 6XE."]


def make_texts(n: int, seed: int = 0) -> list[str]:
    """``n`` distinct texts (duplicates are drawn again)."""
    rng = random.Random(seed)
    out: dict[str, None] = {}
    while len(out) < n:
        text = rng.choice(OPENERS) + " ".join(
            f"{rng.choice(SUBJECTS)} {rng.choice(VERDICTS)}" for _ in range(rng.randint(1, 3))
        ).capitalize() + rng.choice(TAILS)
        out[text] = None
    return list(out)


def rate(fn: Callable[[], object], n: int, repeat: int = 5) -> tuple[float, float]:
    """Texts per CPU second and per wall-clock second of the fastest repeat."""
    fn()  # warm up: lexicon loading is not what we measure
    best = min((_timed(fn) for _ in range(repeat)), key=lambda t: t[0])
    return n / best[0], n / best[1]


def _timed(fn: Callable[[], object]) -> tuple[float, float]:
    cpu, wall = time.process_time(), time.perf_counter()
    fn()
    return time.process_time() - cpu, time.perf_counter() - wall


def main(n: int = 5000) -> None:
    texts = make_texts(n)
    column = pd.Series(texts, dtype="str")
    analyzer = SentimentIntensityAnalyzer()
    # each step starts cold: caches of tokens seen in an earlier repeat are cleared
    figures = {
        "scrub": rate(lambda: scrub(texts), n),
        "sentiment": rate(lambda: _cold(score_sentiment, texts), n),
        "scrub + sentiment": rate(lambda: _cold(score_sentiment, scrub(texts)[0]), n),
        "score_texts (list)": rate(lambda: _cold(score_texts, texts), n),
        "score_texts (column)": rate(lambda: _cold(score_texts, column), n),
        "plain VADER": rate(lambda: [analyzer.polarity_scores(x) for x in texts], n),
    }
    print(f"{n} distinct retail texts, mean {sum(map(len, texts)) / n:.0f} chars, one core")
    print(f"{'':>22}  {'texts/s (CPU)':>13}  {'texts/s (wall)':>14}")
    for name, (cpu, wall) in figures.items():
        print(f"{name:>22}: {cpu:>13,.0f}  {wall:>14,.0f}")
    for name in ("sentiment", "scrub + sentiment"):
        ratio = figures[name][0] / figures["plain VADER"][0]
        print(f"{name + ' / plain VADER':>30}: {ratio:.1f}x")


def _cold(fn: Callable[[object], object], texts: object) -> object:
    _TOKEN_CACHE.clear()
    _WORDS.clear()
    return fn(texts)


if __name__ == "__main__":
    main(*(int(a) for a in sys.argv[1:2]))
