"""The batch run, as a package (its public names are the package root's: ``shopperlens.run``,
``shopperlens.assign``, ``shopperlens.RunResult``).

=====================  ================================================================
module                 what it holds
=====================  ================================================================
``result``             :class:`RunResult`: what a run returns (the report's only import)
``runner``             :func:`run`: the steps in order, each timed; ``run.json``
``state``              :class:`RunState` (what steps share) and :class:`Step`
``steps/``             one module per step; :data:`STEPS`, the order
``window``             the run's ``as_of`` from the data or ``--cutoff``
``fitset``             the customers the models are fitted on; who may be profiled
``segments``           fitting the segment model, assigning customers to segments
``outputs``            the contract's files and ``rejected/``
``record``             ``run.json``
``assign``, ``audit``  the ``assign`` and ``audit`` commands
=====================  ================================================================

This ``__init__`` imports nothing, so reaching :mod:`shopperlens.batch.result` (as the
report does) loads no stage of the run.
"""

from __future__ import annotations
