"""Case status rules (ISO 37002): received → acknowledged → assessing → investigating →
closed, forward only (a step may be skipped, never taken back), never out of closed, and a
closing outcome exactly when closing."""

from __future__ import annotations

import itertools

import pytest

from hotline.models import CaseStatus
from hotline.services.errors import Conflict, InvalidInput
from hotline.services.workflow import ORDER, OUTCOMES, checked_transition

OPEN = [s for s in ORDER if s != CaseStatus.CLOSED]


def test_the_order_and_the_outcomes() -> None:
    assert [s.value for s in ORDER] == [
        "received",
        "acknowledged",
        "assessing",
        "investigating",
        "closed",
    ]
    assert set(ORDER) == set(CaseStatus)
    assert OUTCOMES == (
        "substantiated",
        "partly_substantiated",
        "unsubstantiated",
        "not_actionable",
    )


@pytest.mark.parametrize(
    ("current", "target"),
    [(a, b) for a, b in itertools.product(OPEN, OPEN) if ORDER.index(b) >= ORDER.index(a)],
)
def test_forward_moves_and_staying_put_are_allowed(current: CaseStatus, target: CaseStatus) -> None:
    assert checked_transition(current, target.value, None) == target


@pytest.mark.parametrize(
    ("current", "target"),
    [(a, b) for a, b in itertools.product(OPEN, OPEN) if ORDER.index(b) < ORDER.index(a)],
)
def test_backward_moves_are_refused(current: CaseStatus, target: CaseStatus) -> None:
    with pytest.raises(Conflict) as refused:
        checked_transition(current, target.value, None)
    assert refused.value.field == "status"


@pytest.mark.parametrize("current", OPEN)
@pytest.mark.parametrize("outcome", OUTCOMES)
def test_any_open_case_closes_with_an_outcome(current: CaseStatus, outcome: str) -> None:
    assert checked_transition(current, "closed", outcome) == CaseStatus.CLOSED


@pytest.mark.parametrize("current", OPEN)
@pytest.mark.parametrize("outcome", [None, "", "guilty", "Substantiated"])
def test_closing_without_a_known_outcome_is_refused(
    current: CaseStatus, outcome: str | None
) -> None:
    with pytest.raises(InvalidInput) as refused:
        checked_transition(current, "closed", outcome)
    assert refused.value.field == "outcome"


@pytest.mark.parametrize(
    ("current", "target"),
    [(a, b) for a, b in itertools.product(OPEN, OPEN) if ORDER.index(b) >= ORDER.index(a)],
)
def test_an_outcome_without_closing_is_refused(current: CaseStatus, target: CaseStatus) -> None:
    with pytest.raises(InvalidInput) as refused:
        checked_transition(current, target.value, "substantiated")
    assert refused.value.field == "outcome"


@pytest.mark.parametrize("target", ORDER)
@pytest.mark.parametrize("outcome", [None, "substantiated"])
def test_a_closed_case_never_moves_again(target: CaseStatus, outcome: str | None) -> None:
    with pytest.raises(Conflict):
        checked_transition(CaseStatus.CLOSED, target.value, outcome)


@pytest.mark.parametrize("status", ["archived", "", "RECEIVED", "closed ", "reopened"])
def test_unknown_statuses_are_refused(status: str) -> None:
    with pytest.raises(InvalidInput) as refused:
        checked_transition(CaseStatus.RECEIVED, status, None)
    assert refused.value.field == "status"
