"""Step-up by risk: which identity each operation needs (shared/DESIGN.md "Trust": identity levels).
The one table of operations and levels; every action that performs an operation asks `allowed`,
the dialogue asks `needs_step_up` to offer the second factor before starting the request.

A face match alone may greet, show bills, arrears, recommendations and print the invoice of the
customer's own account. Paying, ownership transfer, closing an account, capacity changes, an invoice
to a new title, changing contact details and enrolling a face need a second factor verified in this
visit: an SMS code sent to the phone the business system has on file, or the ID card with a 1:1 match
against the live face (actions/trust.py SECOND_FACTORS). Identity is read only through
trust.trusted_customer_id / has_second_factor, which check the seal."""
from __future__ import annotations

from enum import IntEnum

from rasa_sdk import Tracker

from actions.trust import has_second_factor, trusted_customer_id


class Level(IntEnum):
    FACE = 1            # any identity the actions sealed: face, SMS code or ID card
    SECOND_FACTOR = 2   # sealed with method sms or id_card in this visit


OPERATIONS: dict[str, Level] = {
    # a face alone
    "greet": Level.FACE,
    "query_bill": Level.FACE,
    "query_arrears": Level.FACE,
    "ask_recommendation": Level.FACE,
    "print_invoice": Level.FACE,            # to the account's own title
    "new_connection": Level.FACE,           # an application staff check on site
    # face + second factor
    "pay_bill": Level.SECOND_FACTOR,
    "transfer_ownership": Level.SECOND_FACTOR,
    "close_account": Level.SECOND_FACTOR,
    "capacity_increase": Level.SECOND_FACTOR,
    "invoice_new_title": Level.SECOND_FACTOR,   # no dialogue path yet: a future action must ask `allowed`
    "change_contact": Level.SECOND_FACTOR,      # no dialogue path yet: a future action must ask `allowed`
    "enrol_face": Level.SECOND_FACTOR,
}

# Kinds of application (actions/applications.py) -> operation.
APPLICATION_OPERATIONS = {"new_connection": "new_connection", "capacity_increase": "capacity_increase",
                          "transfer": "transfer_ownership", "closing": "close_account"}


def level(operation: str) -> Level:
    """An operation missing from the table needs the second factor (fail closed)."""
    return OPERATIONS.get(operation, Level.SECOND_FACTOR)


def allowed(tracker: Tracker, operation: str) -> bool:
    """May the customer of this conversation do `operation` now?"""
    if trusted_customer_id(tracker) is None:
        return False
    return level(operation) is Level.FACE or has_second_factor(tracker)


def needs_step_up(tracker: Tracker, operation: str) -> bool:
    """Identified (sealed), but only by face, for an operation that needs more: ask the second factor."""
    return trusted_customer_id(tracker) is not None and not allowed(tracker, operation)
