"""The machine-readable codes of error answers, for clients that speak their users' language.

Every error answer says what went wrong in English (``detail``). Where a client may want to say
it in its own words, the answer also carries one of these codes (``code``) and the values its
words need (``params``): the office console shows them in Chinese or English. An answer without
a code is shown by its ``detail``. Codes are never renamed; new ones may be added (the console
falls back to ``detail`` for a code it does not know).

The console's texts for them are in ``pwa/src/office/text/errors.ts``; a test checks that both
languages name every code listed here.
"""

from __future__ import annotations

from enum import StrEnum


class ErrorCode(StrEnum):
    """What an error answer's ``code`` may be, with the ``params`` each one carries."""

    CHANGED_MEANWHILE = "changed_meanwhile"
    """Someone saved the record after the client read it (a PATCH with a stale ``version``)."""
    NOT_FOUND = "not_found"
    """params ``what``: the kind of record (job, customer, site, asset, part, user, ...)."""
    JOB_STATUS = "job_status"
    """params ``status``: the job's status now, which does not allow the request (another
    desk may just have moved it on)."""
    TOO_LONG = "too_long"
    """params ``max``: the most characters the value may have."""
    SIGNED_PHOTO = "signed_photo"
    """The customer signed the report with this photo in it: it no longer changes (keep the
    server's value, or issue a correction of the report)."""
    JOB_CANCELLED = "job_cancelled"
    """The job is cancelled; to take it up again, undo the cancellation first."""
    ALREADY_WITH_ENGINEER = "already_with_engineer"
    """params ``status``: the engineer is on the way or on site already; to move the visit,
    change its schedule, or assign another engineer."""
    NOT_YOUR_MOVE = "not_your_move"
    """params ``status``: the job's status; the caller's role may not make this move."""
    CHANGED_SINCE_REPORT = "changed_since_report"
    """The job changed since its report was issued: the office may issue a correction."""
    CHANGED_SINCE_SIGNING = "changed_since_signing"
    """The report content differs from what the customer signed: put it back, or let the
    office issue a correction."""
    JOB_SIGNED = "job_signed"
    """params ``fields``: job fields the customer's signature has frozen."""
    SETTLED = "settled"
    """The job is settled; its settlement no longer changes."""
    ALREADY_RESOLVED = "already_resolved"
    """The conflict was resolved already (by another desk, or by an earlier click)."""
    NOT_ENOUGH_STOCK = "not_enough_stock"
    """params ``quantity``: what the stock location holds."""
    LAST_ADMIN = "last_admin"
    """The last active administrator cannot lose the role or be deactivated."""
    NOT_AN_ENGINEER = "not_an_engineer"
    """The chosen user is not an active engineer."""
    WRONG_CUSTOMER = "wrong_customer"
    """The chosen site or equipment belongs to another customer (or another site)."""
    REASON_NEEDED = "reason_needed"
    """The action needs a reason or an outcome in words."""
    RECEIPT_STATUS = "receipt_status"
    """params ``status``: where the item taken back for repair is now (taken, in_workshop,
    returned), which does not allow the request (another desk may just have moved it)."""
    MOVE_TIME = "move_time"
    """params ``earliest``: the time a move of an item taken back for repair names is before
    that instant (the receipt log's latest line) or in the future."""
    NO_MAIL_SERVER = "no_mail_server"
    """No mail server is configured (FIELDSYNC_SMTP_HOST)."""
    NO_EMAIL = "no_email"
    """The customer has no e-mail address on file."""
    BAD_ADDRESS = "bad_address"
    """The customer's e-mail address is not one mail can be sent to."""
    NOT_SIGNED = "not_signed"
    """The customer has not signed the job: there is nothing to issue a report for."""
    REPORT_BUSY = "report_busy"
    """A report of the job is being rendered; try again in a moment."""
    DUPLICATE = "duplicate"
    """A record with the same unique value (a code, a username, ...) exists already."""
    MISSING_REFERENCE = "missing_reference"
    """A record the request refers to does not exist (any more)."""
    CONSTRAINT = "constraint"
    """The change breaks a rule of the database."""
    OUT_OF_RANGE = "out_of_range"
    """A value is outside what the database can store."""
    BUSY = "busy"
    """The database is busy; try again in a few seconds."""
    WRONG_LOGIN = "wrong_login"
    """Wrong username or password, or a disabled account (the answer does not say which)."""
    TOO_MANY = "too_many"
    """params ``seconds``: too many attempts; the wait before the next."""
    NAME_TAKEN = "name_taken"
    """params ``name``: another stock location has this name."""
    SAME_LOCATION = "same_location"
    """A stock movement's from and to are the same location."""
    REPORTED_IN_FUTURE = "reported_in_future"
    """A fault report's time (``reported_at``) is later than now."""
    REPORTED_TOO_EARLY = "reported_too_early"
    """A fault report's time is before 2000-01-01 (a mistyped year)."""
    DATE_OUT_OF_RANGE = "date_out_of_range"
    """params ``date``: an acceptance date whose warranty months end outside the calendar."""
    REPORT_LANGUAGE = "report_language"
    """params ``language``: the report is issued in this language already; it is not issued
    again in another (a correction, with its reason, may be)."""
    STALE_DECISION = "stale_decision"
    """params ``status``: the job's status now; taking the device's status of this (older)
    conflict would take the job back or no longer fits it: keep the server's value."""
    CHANGED_WHILE_RENDERING = "changed_while_rendering"
    """The job changed while its report was being made; issue it again."""
