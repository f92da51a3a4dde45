"""``shopperlens audience``: registered on the app by :func:`register`."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager
from pathlib import Path
from typing import Annotated, Optional

import typer

from shopperlens.cli._output import out_console


def register(app: typer.Typer, errors: Callable[[], AbstractContextManager[None]]) -> None:
    """Add the command to ``app``; ``errors`` turns failures into one line and an exit code."""

    @app.command("audience")
    def audience(
        segment: Annotated[str, typer.Argument(help="Segment id or name, as in segments.csv.")],
        out: Annotated[Path, typer.Option(help="CSV to write (customer_id, segment_id).")],
        data: Annotated[Path, typer.Option(help="Data folder of the run (its customers' "
                                                "consent).")],
        run: Annotated[Path, typer.Option(help="Output folder of the run.")] = Path(
            "shopperlens-out"),
        campaign: Annotated[Optional[str], typer.Option(  # noqa: UP045 - Typer needs the runtime type
            help="Campaign whose hold-out to leave out (default: the global one).")] = None,
        control_share: Annotated[float, typer.Option(
            min=0.0, max=0.99, help="Share of customers held out as control.")] = 0.1,
        per_segment: Annotated[bool, typer.Option(
            help="Draw the hold-out within the segment (its own salt).")] = False,
    ) -> None:
        """Export a segment's audience, less the held-out customers and those who refused
        marketing. The same customers are held out on every run and machine."""
        with errors():
            from shopperlens.batch.audience import export_audience

            frame = export_audience(run, data, segment, out, campaign_id=campaign,
                                    control_share=control_share, per_segment=per_segment)
            out_console.print(f"Wrote {len(frame):,} customers to {out}.")
