"""Throughput of the text core on realistic retail texts (single core).

Run: ``python bench/text.py``. Prints texts/s for scrubbing, sentiment, scrub + sentiment,
the full ``score_texts`` frame, and plain vaderSentiment's ``polarity_scores`` as the
baseline, with our speed-up ratio.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable

from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

from shopperlens.text import score_sentiment, score_texts, scrub

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
    rng = random.Random(seed)
    return [
        rng.choice(OPENERS) + " ".join(
            f"{rng.choice(SUBJECTS)} {rng.choice(VERDICTS)}" for _ in range(rng.randint(1, 3))
        ).capitalize() + rng.choice(TAILS)
        for _ in range(n)
    ]


def rate(fn: Callable[[list[str]], object], texts: list[str], repeat: int = 3) -> float:
    fn(texts[:50])  # warm caches (lexicon loading is not what we measure)
    best = min(_timed(fn, texts) for _ in range(repeat))
    return len(texts) / best


def _timed(fn: Callable[[list[str]], object], texts: list[str]) -> float:
    start = time.perf_counter()
    fn(texts)
    return time.perf_counter() - start


def main(n: int = 5000) -> None:
    texts = make_texts(n)
    analyzer = SentimentIntensityAnalyzer()
    figures = {
        "scrub": rate(lambda t: scrub(t), texts),
        "sentiment": rate(lambda t: score_sentiment(t), texts),
        "scrub + sentiment": rate(lambda t: score_sentiment(scrub(t)[0]), texts),
        "score_texts (all)": rate(lambda t: score_texts(t), texts),
        "plain VADER": rate(lambda t: [analyzer.polarity_scores(x) for x in t], texts),
    }
    print(f"{n} retail texts, mean {sum(map(len, texts)) / n:.0f} chars, single core")
    for name, value in figures.items():
        print(f"{name:>20}: {value:>9,.0f} texts/s")
    ratio = figures["scrub + sentiment"] / figures["plain VADER"]
    print(f"{'scrub+sentiment/VADER':>20}: {ratio:.1f}x")


if __name__ == "__main__":
    main()
