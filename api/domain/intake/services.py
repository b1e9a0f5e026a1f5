"""Fault reports (报修) from customers on the public web form.

The form is public, so it is guarded three ways: a signed form token that must be at least a
few seconds and at most a day old (a person reads and types; a script posting straight away
does not), a hidden field people leave empty, and a limit of reports per address and per hour.
A report becomes a job in ``reported``; the desk verifies it (受理) as any other.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import time
from datetime import datetime

from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from api.domain.customers.services import new_customer_code
from api.domain.intake.schemas import PublicFaultIn
from api.domain.jobs.schemas import FaultIn
from api.domain.jobs.services import register_fault
from api.http import DomainError
from api.models import Channel, Contact, Customer, Job
from sync.rules.sla import WorkCalendar

# The form's customers read Chinese or English: its refusals say both, as the page does.
EXPIRED = (
    "表单已过期，请刷新页面后重新提交。The form has expired; reload the page and send it again."
)
TOO_QUICK = (
    "提交过快，请检查表单后再次提交。That was quick: please check the form and send it again."
)

MIN_SECONDS = 3
"""A form sent sooner than this after it was opened was not filled in by a person."""
MAX_AGE_SECONDS = 24 * 3600
"""A form token older than this has expired; the page fetches a new one."""
MIN_DESCRIPTION = 5
"""Fewest characters of a fault description, blanks aside."""
_DIGITS = re.compile(r"\D")


def form_token(secret: str, *, now: float | None = None) -> str:
    """A token naming when the form was opened, signed so it cannot be made up."""
    issued = str(int(time.time() if now is None else now))
    mac = hmac.new(secret.encode(), f"fault-form:{issued}".encode(), hashlib.sha256).digest()
    return f"{issued}.{base64.urlsafe_b64encode(mac[:16]).decode().rstrip('=')}"


def check_token(secret: str, token: str, *, now: float | None = None) -> None:
    """Refuse a form token that is forged, too fresh or too old (400 with the reason)."""
    issued, _, _ = token.partition(".")
    # isdigit() alone takes "¹" and other digits int() refuses.
    if not (issued.isascii() and issued.isdigit()) or not hmac.compare_digest(
        form_token(secret, now=int(issued)), token
    ):
        raise DomainError(EXPIRED)
    age = (time.time() if now is None else now) - int(issued)
    if age < MIN_SECONDS:
        raise DomainError(TOO_QUICK)
    if age > MAX_AGE_SECONDS:
        raise DomainError(EXPIRED)


def phone_digits(phone: str) -> str:
    """The digits of a phone number, for matching (+86 139-1234-5678 → 8613912345678)."""
    return _DIGITS.sub("", phone)


FULL_NUMBER = 10
"""Digits of a Chinese number with its area code, as dialled at home without the trunk 0:
a mobile has 11, a landline 10 or 11 (010-8888-7777 is 10 8888 7777). A shorter one is a
local number, the same in every city."""


def national_number(phone: str) -> str:
    """A Chinese number as one writes it after +86: no country code, no trunk 0.

    "+86 10 8888 7777", "0086-10-88887777" and "(010) 8888-7777" all give 1088887777;
    "+86 139-1234-5678" and "13912345678" give 13912345678. No number at home starts with
    86 and has 12 digits or more, so those two digits are taken as the country code then.
    A leading 00 is the international prefix, never a trunk 0: a number abroad is kept as
    written after its "+" ("00852 9123 4567" and "+852 9123 4567" give 85291234567).
    """
    digits = phone_digits(phone)
    if digits.startswith("00"):
        digits = digits[2:]
        if not digits.startswith("86"):
            return digits  # abroad: its country code stays, and it has no trunk 0 to drop
        digits = digits[2:]
    elif digits.startswith("86") and len(digits) >= FULL_NUMBER + 2:
        digits = digits[2:]
    return digits[1:] if digits.startswith("0") else digits


async def _customer(session: AsyncSession, data: PublicFaultIn) -> Customer:
    """The customer with this phone number (theirs or a contact's), else the customer of the
    very company name typed, else a new one."""
    digits = phone_digits(data.contact_phone)
    number = national_number(data.contact_phone)
    # Phones are typed every which way (+86, dashes, spaces): narrow by the last 4 digits in
    # SQL, then compare the numbers here.
    hint = digits[-4:]
    by_contact = select(Contact.customer_id).where(Contact.phone.contains(hint))
    candidates = await session.scalars(
        select(Customer)
        .where(or_(Customer.phone.contains(hint), Customer.id.in_(by_contact)))
        .options(selectinload(Customer.contacts))
        .order_by(Customer.created_at)
    )

    def same(stored: str) -> bool:
        # A full number (a mobile, or a landline with its area code) is matched whatever
        # country code or trunk 0 either side wrote. A shorter one only by the very same
        # digits: 8888-7777 without its area code is a number in every city, and a report
        # must not land on another city's customer (and send the engineer there).
        if len(number) >= FULL_NUMBER:
            return national_number(stored) == number
        return phone_digits(stored) == digits

    for customer in candidates:
        phones = [customer.phone, *(c.phone for c in customer.contacts)]
        if any(same(p) for p in phones if p):
            return customer
    company = data.company.strip()
    if company:
        # A caller whose number is not on file, for a company that is: that customer, not a
        # second one of the same name (the desk verifies the report either way).
        named = await session.scalar(
            select(Customer).where(Customer.name == company).order_by(Customer.created_at).limit(1)
        )
        if named is not None:
            return named
    customer = Customer(
        code=await new_customer_code(session),
        name=data.company.strip() or data.contact_name.strip(),
        phone=data.contact_phone,
        notes="registered from the public fault-report form; verify",
        contacts=[Contact(name=data.contact_name, phone=data.contact_phone)],
    )
    session.add(customer)
    await session.flush()
    return customer


async def report(
    session: AsyncSession, data: PublicFaultIn, *, now: datetime, cal: WorkCalendar
) -> Job:
    """Register a customer's fault report as a job in ``reported``."""
    if data.website:
        # The hidden field: people do not see it, form-filling robots do.
        raise DomainError("无法受理此报修。The report could not be accepted.")
    if len(phone_digits(data.contact_phone)) < 5:
        raise DomainError("请留下可回拨的电话号码。Give a phone number we can call back.")
    # The schema's lengths count blanks; the job and the customer keep the text stripped.
    if len(data.description.strip()) < MIN_DESCRIPTION:
        raise DomainError(
            "请说明故障情况（至少 5 个字）。Say what is wrong (at least 5 characters)."
        )
    if not data.contact_name.strip():
        raise DomainError("请填写联系人。Give your name.")
    customer = await _customer(session, data)
    where = "; ".join(
        f"{label}: {value.strip()}"
        for label, value in (
            ("site 地址", data.site_address),
            ("equipment 设备", data.equipment),
            ("company 单位", data.company),
        )
        if value.strip()
    )
    fault = FaultIn(
        customer_id=customer.id,
        channel=Channel.WEB,
        fault_description=data.description.strip(),
        urgency=data.urgency,
        contact_name=data.contact_name.strip(),
        contact_phone=data.contact_phone.strip(),
        office_notes=f"Web report (报修), to verify. {where}".strip(),
    )
    return await register_fault(session, fault, created_by=None, now=now, cal=cal)
