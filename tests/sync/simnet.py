"""A simulated, unreliable network between reference clients and the app (in-process).

Each device gets its own :class:`FlakyTransport` over one shared ASGI transport. The test tells
a transport what to do with the next requests (a plan of :class:`Fault`); with no plan a
request is delivered normally. Logins always go through: the network under test is the sync.

- ``DROP_REQUEST``: the request never reaches the app (the client sees ``ConnectError``).
- ``DROP_RESPONSE``: the app handles the request, the answer is lost (``ReadError``).
- ``DUPLICATE``: the request reaches the app twice; the client gets the second answer.
- ``DELAY``: the request is held in the network and the client times out
  (``ReadTimeout``); :meth:`SimNet.deliver` hands it to the app later, after others (in any
  order), and its answer goes nowhere, since the client gave up on it long ago.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

import httpx


class Fault(StrEnum):
    """What the network does to one request."""

    DELIVER = "deliver"
    DROP_REQUEST = "drop_request"
    DROP_RESPONSE = "drop_response"
    DUPLICATE = "duplicate"
    DELAY = "delay"


@dataclass(frozen=True)
class Held:
    """A request held in the network, as it was sent."""

    device: str
    method: str
    url: str
    headers: tuple[tuple[str, str], ...]
    body: bytes

    def request(self) -> httpx.Request:
        """A fresh request with the same method, address, headers and body."""
        return httpx.Request(self.method, self.url, headers=list(self.headers), content=self.body)


@dataclass
class Delivery:
    """One request that reached the app, and the status it answered."""

    device: str
    method: str
    path: str
    status: int
    body: str


@dataclass
class SimNet:
    """The shared network: the app's transport, held requests and every answer."""

    app_transport: httpx.AsyncBaseTransport
    held: list[Held] = field(default_factory=list)
    deliveries: list[Delivery] = field(default_factory=list)

    def transport(self, device: str) -> FlakyTransport:
        """A transport for one device."""
        return FlakyTransport(self, device)

    async def send(self, device: str, request: httpx.Request) -> httpx.Response:
        """Hand a request to the app and read the whole answer (still encoded, as sent)."""
        response = await self.app_transport.handle_async_request(request)
        body = b"".join([chunk async for chunk in response.aiter_raw()])
        await response.aclose()
        self.deliveries.append(
            Delivery(
                device,
                request.method,
                request.url.path,
                response.status_code,
                body[:2000].decode("utf-8", "replace"),
            )
        )
        return httpx.Response(response.status_code, headers=response.headers, content=body)

    async def deliver(self, index: int) -> httpx.Response:
        """Deliver the held request at ``index`` now; its answer reaches nobody."""
        held = self.held.pop(index)
        return await self.send(held.device, held.request())

    def server_errors(self) -> list[Delivery]:
        """Answers with a 5xx status: the app failed."""
        return [d for d in self.deliveries if d.status >= 500]


class FlakyTransport(httpx.AsyncBaseTransport):
    """One device's link to the app, misbehaving as planned."""

    def __init__(self, net: SimNet, device: str) -> None:
        self.net = net
        self.device = device
        self.plan: list[Fault] = []
        """Faults for the next requests, first one first; then requests are delivered."""
        self.injected: list[Fault] = []
        """Every fault applied so far (DELIVER left out)."""

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        body = await request.aread()
        if request.url.path.startswith("/api/auth/") or not self.plan:
            fault = Fault.DELIVER
        else:
            fault = self.plan.pop(0)
        if fault is not Fault.DELIVER:
            self.injected.append(fault)
        held = Held(
            self.device,
            request.method,
            str(request.url),
            tuple((k, v) for k, v in request.headers.items()),
            body,
        )
        match fault:
            case Fault.DROP_REQUEST:
                raise httpx.ConnectError("simnet: request dropped", request=request)
            case Fault.DELAY:
                self.net.held.append(held)
                raise httpx.ReadTimeout("simnet: request held in the network", request=request)
            case Fault.DROP_RESPONSE:
                await self.net.send(self.device, held.request())
                raise httpx.ReadError("simnet: response dropped", request=request)
            case Fault.DUPLICATE:
                await self.net.send(self.device, held.request())
                return await self.net.send(self.device, held.request())
            case _:
                return await self.net.send(self.device, held.request())
