"""Render a run's result as one self-contained HTML file.

The page inlines Plotly.js once, in ``<head>``, and every chart is a ``<div>`` plus a
``Plotly.newPlot`` call, so the file needs no network at all: no CDN, no web fonts
(system fonts only), no external images. It opens offline and as an e-mail attachment.
"""

from __future__ import annotations

import functools
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import jinja2
import plotly
import plotly.offline
from markupsafe import Markup

from shopperlens._version import __version__
from shopperlens.batch.result import RunResult
from shopperlens.report import _sections as sections
from shopperlens.report._campaigns import campaigns
from shopperlens.report._format import FILTERS
from shopperlens.report._journeys import journeys


@functools.lru_cache(maxsize=1)
def _environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("shopperlens.report", "templates"),
        autoescape=True,  # names, rules and reasons come from data: escape them
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters.update(FILTERS)
    return env


@functools.lru_cache(maxsize=1)
def _plotly_js() -> Markup:
    return Markup(plotly.offline.get_plotlyjs())


def report_context(result: RunResult) -> dict[str, Any]:
    """Everything the template shows, section by section (``None`` = section left out)."""
    ctx = sections.Context(result)
    return {
        "summary": sections.summary(ctx),
        "changes": sections.changes(ctx),
        "map": sections.segment_map(ctx),
        "cards": sections.cards(ctx),
        "rfm": sections.rfm(ctx),
        "predictions": sections.predictions(ctx),
        "demand": sections.demand(ctx),
        "text": sections.text(ctx),
        "journeys": journeys(result, ctx.names),
        "recommendations": sections.recommendations(ctx),
        "fairness": sections.fairness(ctx),
        "campaigns": campaigns(result.record, ctx.names),
        "method": sections.method(ctx),
        "currency": result.record.get("currency"),
        "generated": datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "version": __version__,
        "plotly_version": plotly.__version__,
    }


def render_report(result: RunResult) -> str:
    """The report of a run as one self-contained HTML document.

    Parameters
    ----------
    result : RunResult
        What :func:`shopperlens.run` returned, or
        :func:`shopperlens.report.result_from_outputs` rebuilt from a run's folder.

    Returns
    -------
    str
        HTML with Plotly.js inlined once; no external resources.
    """
    template = _environment().get_template("report.html.j2")
    return template.render(plotly_js=_plotly_js(), **report_context(result))


def write_report(result: RunResult, path: str | Path) -> Path:
    """Render the report and write it to ``path`` (UTF-8); return the path."""
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(render_report(result), encoding="utf-8")
    return target
