"""Step ``text``: what is left of the text scoring, then the fit set's text features."""

from __future__ import annotations

from shopperlens.batch.state import RunState
from shopperlens.features import TEXT_SCORES_TABLE


def join(state: RunState) -> None:
    """Adds the text features to ``fit_set``."""
    assert state.texts is not None and state.fit_set is not None
    assert state.engine is not None and state.as_of is not None
    if state.texts.result():
        texts = state.engine.scalar(f"SELECT count(*) FROM {TEXT_SCORES_TABLE}")
        state.timer.count("text", texts_scored=int(texts or 0))  # type: ignore[call-overload]
    state.fit_set.add_texts(state.engine, state.as_of)
