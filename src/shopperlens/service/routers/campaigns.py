"""Campaigns in real time: offers allocated by Thompson sampling, their outcomes, the
off-policy value of a new policy, and audiences without the held-out customers.

``POST /v1/decide`` picks a variant for one customer (its segment read from the store,
or given); a customer in the campaign's persistent hold-out
(:func:`shopperlens.campaigns.held_out`, the same customers on every machine) always
gets ``control``, so the control group is never starved. ``POST /v1/outcome`` records
the reward of a decision. ``POST /v1/policies/evaluate`` estimates, from the decisions
logged with their outcomes, what another policy would earn (IPW and doubly robust, with
95% intervals) before it is switched on. The allocators and the log live in the
service's memory: a restart starts them afresh.
"""

from __future__ import annotations

import base64
import threading
import uuid
from dataclasses import dataclass, field
from typing import Annotated, Any

import pandas as pd
from fastapi import APIRouter, Depends, Query, Request
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool

from shopperlens import schema as s
from shopperlens.campaigns import held_out
from shopperlens.campaigns.bandit import ThompsonAllocator
from shopperlens.campaigns.ope import PROPENSITY, REWARD, policy_value
from shopperlens.service.deps import ModelDep, StoreDep, require_key
from shopperlens.service.errors import NotFound
from shopperlens.service.models import ErrorBody, Members
from shopperlens.service.routers.segments import _cursor

router = APIRouter(prefix="/v1", tags=["campaigns"], dependencies=[Depends(require_key)])
LOG_LIMIT = 100_000  # decisions awaiting an outcome, and logged ones kept: the latest


class Decide(BaseModel):
    """``POST /v1/decide``: a variant for one customer."""

    campaign_id: str = Field(min_length=1)
    offers: list[str] = Field(min_length=1, description="the offers to choose from")
    customer_id: str | None = None
    segment_id: int | None = Field(None, description="default: the customer's segment now")
    control_share: float = Field(0.1, ge=0.0, lt=1.0)
    costs: dict[str, float] | None = Field(
        None, description="per offer, the cost of a send in units of the reward (e.g. its "
        "cost over an order's value); an offer must beat sending nothing by it")


class Decision(BaseModel):
    decision_id: str
    campaign_id: str
    segment_id: int
    variant: str
    propensity: float = Field(description="probability this variant had; for evaluation")


class Outcome(BaseModel):
    """``POST /v1/outcome``: what the customer did after a decision (1 = converted)."""

    decision_id: str
    reward: float = Field(ge=0.0, le=1.0)


class PolicyRequest(BaseModel):
    """``POST /v1/policies/evaluate``: per segment id, each variant's probability."""

    campaign_id: str
    policy: dict[str, dict[str, float]]


@dataclass
class Allocations:
    """The allocators (one per campaign), the pending decisions and the log."""

    lock: threading.Lock = field(default_factory=threading.Lock)
    allocators: dict[str, ThompsonAllocator] = field(default_factory=dict)
    pending: dict[str, dict[str, Any]] = field(default_factory=dict)
    log: list[dict[str, Any]] = field(default_factory=list)


def allocations(request: Request) -> Allocations:
    state = request.app.state
    if not hasattr(state, "allocations"):
        state.allocations = Allocations()
    return state.allocations  # type: ignore[no-any-return]


AllocationsDep = Annotated[Allocations, Depends(allocations)]


@router.post("/decide", response_model=Decision, responses={404: {"model": ErrorBody}})
async def decide(body: Decide, store: StoreDep, book: AllocationsDep) -> Decision:
    """A variant for one customer: ``control`` when held out, else Thompson sampling
    over the offers and control (no send) among the customers of the same segment."""
    segment = body.segment_id
    if segment is None:
        record = None if body.customer_id is None else await run_in_threadpool(
            store.get_profile, body.customer_id)
        if record is None or record.segment_id is None:
            raise NotFound("no segment for this customer: give segment_id, or a "
                           "customer_id the service has a profile of.")
        segment = record.segment_id
    hold = None if body.customer_id is None else bool(
        held_out([body.customer_id], body.control_share, body.campaign_id)[0])
    with book.lock:
        if body.campaign_id not in book.allocators:  # its offers and share: the first call's
            book.allocators[body.campaign_id] = ThompsonAllocator(
                body.offers, control_share=body.control_share, costs=body.costs,
                seed=int(uuid.uuid5(uuid.NAMESPACE_URL, body.campaign_id).int % 2**32))
        bandit = book.allocators[body.campaign_id]
        variant = bandit.predict_one(segment, held_out=hold)
        propensity = bandit.propensities(segment)[variant]
        decision = Decision(decision_id=uuid.uuid4().hex, campaign_id=body.campaign_id,
                            segment_id=segment, variant=variant, propensity=propensity)
        book.pending[decision.decision_id] = decision.model_dump()
        if len(book.pending) > LOG_LIMIT:  # outcomes that never came: the oldest go
            del book.pending[next(iter(book.pending))]
    return decision


@router.post("/outcome", response_model=Decision, responses={404: {"model": ErrorBody}})
async def outcome(body: Outcome, book: AllocationsDep) -> Decision:
    """Record the reward of a decision (once); the allocator learns from it."""
    with book.lock:
        decision = book.pending.pop(body.decision_id, None)
        if decision is None:
            raise NotFound(f"no open decision {body.decision_id!r} (unknown, or its "
                           "outcome was already recorded).")
        book.allocators[decision["campaign_id"]].learn_one(
            decision["segment_id"], decision["variant"], body.reward)
        book.log.append({**decision, REWARD: body.reward})
        del book.log[:-LOG_LIMIT]
    return Decision(**decision)


@router.post("/policies/evaluate", responses={404: {"model": ErrorBody}})
async def evaluate(body: PolicyRequest, book: AllocationsDep) -> dict[str, float]:
    """IPW and doubly robust estimates of the policy's mean reward, with 95% intervals,
    from this campaign's logged decisions and outcomes."""
    with book.lock:
        rows = [r for r in book.log if r["campaign_id"] == body.campaign_id]
    if not rows:
        raise NotFound(f"no logged outcomes for campaign {body.campaign_id!r} yet.")
    logs = pd.DataFrame(rows)[[s.SEGMENT_ID, s.VARIANT, PROPENSITY, REWARD]]
    policy = {int(k): v for k, v in body.policy.items()}
    return await run_in_threadpool(policy_value, logs, policy)


@router.get("/audiences/{segment_id}", response_model=Members,
            responses={404: {"model": ErrorBody}})
async def audience(
    segment_id: int, store: StoreDep, model: ModelDep, campaign_id: str | None = None,
    control_share: Annotated[float, Query(ge=0.0, lt=1.0)] = 0.1, per_segment: bool = False,
    cursor: str | None = None, limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> Members:
    """One page of the segment's audience to send to: its members who allow marketing
    (as ``/v1/segments/{id}/members``) less the hold-out of ``campaign_id`` (none: the
    global one), drawn within the segment with ``per_segment``. Pass ``next_cursor``
    back as ``cursor`` until it is ``null``."""
    if segment_id not in model.names() and segment_id not in await run_in_threadpool(
            store.segment_sizes):
        raise NotFound(f"no segment with segment_id={segment_id}.")
    kept: list[str] = []
    after = _cursor(cursor)
    while True:
        page = await run_in_threadpool(store.members, segment_id, after=after, limit=limit)
        hold = held_out(page, control_share, campaign_id,
                        segment_id if per_segment else None)
        for customer, out in zip(page, hold, strict=True):
            if not out:
                kept.append(customer)
            if len(kept) == limit:
                nxt = base64.urlsafe_b64encode(customer.encode()).decode()
                return Members(segment_id=segment_id, customer_ids=kept, next_cursor=nxt)
        if len(page) < limit:
            return Members(segment_id=segment_id, customer_ids=kept, next_cursor=None)
        after = page[-1]
