"""Campaign measurement: persistent hold-outs, effects against control, uplift models,
a Thompson-sampling allocator and off-policy evaluation. Pure: no I/O.

- :mod:`.holdout`: salted hash hold-outs (the same customer, the same group, always).
- :mod:`.measure`: per campaign x segment x variant effects, intervals, MDE and power.
- :mod:`.uplift`: T-/X-/S-learners on LightGBM, Qini and uplift curves, targeting.
- :mod:`.bandit`: :class:`~.bandit.ThompsonAllocator` (``predict_one``/``learn_one``).
- :mod:`.ope`: IPW and doubly robust value of a new policy from logged decisions.
- :mod:`.simulate`: seeded traffic and the regret of an allocator against an oracle's.
"""

from __future__ import annotations

from shopperlens.campaigns.holdout import CONTROL, bucket, held_out, holdout_salt

__all__ = ["CONTROL", "WINDOW_DAYS", "bucket", "held_out", "holdout_salt"]

WINDOW_DAYS = 14  # days after a send in which an order or a visit counts as its outcome
