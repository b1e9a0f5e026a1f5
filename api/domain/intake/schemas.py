"""Wire shapes of the public fault-report form."""

from __future__ import annotations

from typing import Annotated

import msgspec

from api.http import Out, Schema
from api.models import Urgency


class FormToken(Out):
    """Opens the form: send ``token`` back with the report, no sooner than ``min_seconds``."""

    token: str
    min_seconds: int


class PublicFaultIn(Schema):
    """A fault report (报修) from a customer."""

    token: Annotated[str, msgspec.Meta(max_length=200)]
    contact_name: Annotated[str, msgspec.Meta(min_length=1, max_length=100)]
    contact_phone: Annotated[str, msgspec.Meta(min_length=1, max_length=40)]
    description: Annotated[str, msgspec.Meta(min_length=5, max_length=5000)]
    """What is wrong (故障描述)."""
    company: Annotated[str, msgspec.Meta(max_length=200)] = ""
    site_address: Annotated[str, msgspec.Meta(max_length=500)] = ""
    equipment: Annotated[str, msgspec.Meta(max_length=200)] = ""
    """Model, serial or name of the equipment."""
    urgency: Urgency = Urgency.NORMAL
    website: Annotated[str, msgspec.Meta(max_length=200)] = ""
    """Leave empty (a field people do not see)."""


class PublicFaultOut(Out):
    """The report is registered: the number to quote when calling."""

    number: str
    message: str
