"""The transition tables of DESIGN §4: every allowed pair gives its target, every other pair is refused."""
from __future__ import annotations

import itertools

import pytest

from core.errors import TransitionNotAllowed
from actions.transitions import (
    CHANGE_REQUEST_TRANSITIONS,
    CLAIM_TRANSITIONS,
    DELETED,
    FILING_TRANSITIONS,
    allowed,
    check,
)
from models.enums import ChangeRequestStatus, ClaimStatus, FilingStatus

FILING_EXPECTED = {
    ("DRAFT", "submit"): "SUBMITTED",
    ("RETURNED", "submit"): "SUBMITTED",
    ("SUBMITTED", "withdraw"): "DRAFT",
    ("SUBMITTED", "approve"): "APPROVED",
    ("SUBMITTED", "return"): "RETURNED",
    # APPROVED → CANCELLED is not a user action on the filing: 注销培训班 acts on a class (R18, DESIGN §4) and
    # closes the filing with its last class through this internal row.
    ("APPROVED", "close"): "CANCELLED",
    ("DRAFT", "delete"): DELETED,
    ("RETURNED", "delete"): DELETED,
}
CHANGE_EXPECTED = {
    ("DRAFT", "submit"): "SUBMITTED",
    ("RETURNED", "submit"): "SUBMITTED",
    ("SUBMITTED", "approve"): "APPROVED",
    ("SUBMITTED", "return"): "RETURNED",
    ("DRAFT", "delete"): DELETED,  # DESIGN §4: DRAFT|RETURNED —delete→ gone
    ("RETURNED", "delete"): DELETED,
}
CLAIM_EXPECTED = {
    ("DRAFT", "submit"): "SUBMITTED",
    ("RETURNED", "submit"): "SUBMITTED",
    ("SUBMITTED", "approve"): "APPROVED",
    ("SUBMITTED", "return"): "RETURNED",
    ("SUBMITTED", "cancel"): "DRAFT",
    ("DRAFT", "delete"): DELETED,
    ("RETURNED", "delete"): DELETED,
}

ACTIONS = ["submit", "withdraw", "approve", "return", "cancel_class", "close", "delete", "cancel", "edit"]

CASES = [
    (FILING_TRANSITIONS, FILING_EXPECTED, FilingStatus.codes()),
    (CHANGE_REQUEST_TRANSITIONS, CHANGE_EXPECTED, ChangeRequestStatus.codes()),
    (CLAIM_TRANSITIONS, CLAIM_EXPECTED, ClaimStatus.codes()),
]


@pytest.mark.parametrize("table,expected,statuses", CASES, ids=["filing", "change_request", "claim"])
def test_tables_are_exactly_the_design(table, expected, statuses):
    assert table == expected


@pytest.mark.parametrize(
    "table,expected,status,action",
    [(t, e, s, a) for t, e, statuses in CASES for s, a in itertools.product(statuses, ACTIONS)],
)
def test_every_pair(table, expected, status, action):
    if (status, action) in expected:
        assert allowed(table, status, action)
        assert check(table, status, action) == expected[(status, action)]
    else:
        assert not allowed(table, status, action)
        with pytest.raises(TransitionNotAllowed) as info:
            check(table, status, action)
        assert info.value.status_code == 409
        assert "刷新" in str(info.value.message)
