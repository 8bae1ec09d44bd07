"""Helpers for outbound events: subscriptions made through the service, a real local HTTP
receiver that answers as scripted and checks signatures with the `standardwebhooks` library,
and running a delivery's job the way the worker does."""

import asyncio
import contextlib
import json
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any
from uuid import UUID

import uvicorn
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession
from standardwebhooks.webhooks import Webhook, WebhookVerificationError
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from services.worker.jobs.subscriptions import deliver_event
from shared.domain.events.service import DeliverEvent
from shared.domain.subscription import service as subscription_service
from shared.domain.subscription.schemas import SubscriptionCreate
from shared.models import Delivery


async def create_subscription(
    session: AsyncSession, org_id: UUID, url: str, events: list[str], settings
) -> tuple[Any, str]:
    subscription, secret = await subscription_service.create(
        session, org_id, SubscriptionCreate(url=url, events=events), settings=settings
    )
    await session.commit()
    return subscription, secret


@dataclass
class Received:
    headers: dict[str, str]
    body: bytes
    verified: bool
    answered: int

    @property
    def json(self) -> dict[str, Any]:
        return json.loads(self.body)


@dataclass
class Receiver:
    """An HTTP server on 127.0.0.1 (a free port) answering each POST with the next scripted
    status (then `then`), verifying each request's signature when given the secret."""

    answers: list[int] = field(default_factory=list)
    then: int = 200
    secret: str | None = None
    received: list[Received] = field(default_factory=list)
    _server: uvicorn.Server | None = None
    _task: asyncio.Task | None = None

    @property
    def url(self) -> str:
        assert self._server is not None
        port = self._server.servers[0].sockets[0].getsockname()[1]
        return f"http://127.0.0.1:{port}/hooks/sway"

    async def _handle(self, request: Request) -> Response:
        body = await request.body()
        headers = dict(request.headers)
        verified = False
        if self.secret is not None:
            try:
                Webhook(self.secret).verify(body, headers)
                verified = True
            except WebhookVerificationError:
                verified = False
        status = self.answers.pop(0) if self.answers else self.then
        self.received.append(Received(headers, body, verified, status))
        return Response(status_code=status)

    async def __aenter__(self) -> "Receiver":
        app = Starlette(routes=[Route("/hooks/sway", self._handle, methods=["POST"])])
        config = uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning", lifespan="off")
        self._server = uvicorn.Server(config)
        self._task = asyncio.create_task(self._server.serve())
        # uvicorn offers no event to wait on, only this flag.
        while not self._server.started:  # noqa: ASYNC110
            await asyncio.sleep(0.01)
        return self

    async def __aexit__(self, *exc: object) -> None:
        assert self._server is not None and self._task is not None
        self._server.should_exit = True
        with contextlib.suppress(asyncio.CancelledError):
            await self._task


async def deliveries(session: AsyncSession, org_id: UUID | None = None) -> list[Delivery]:
    statement = select(Delivery).order_by(Delivery.created_at, Delivery.id)
    if org_id is not None:
        statement = statement.where(Delivery.org_id == org_id)
    session.expire_all()
    return list((await session.scalars(statement)).all())


async def make_due(session: AsyncSession, delivery_id: UUID) -> None:
    """Time passes: the delivery's next attempt is due now."""
    await session.execute(
        update(Delivery)
        .where(Delivery.id == delivery_id, Delivery.next_attempt_at.is_not(None))
        .values(next_attempt_at=Delivery.next_attempt_at - timedelta(days=1))
    )
    await session.commit()


async def run_delivery(worker_ctx, delivery: Delivery) -> str:
    payload = DeliverEvent(org_id=delivery.org_id, delivery_id=delivery.id).dump()
    return await deliver_event(worker_ctx, payload)
