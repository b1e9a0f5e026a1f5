"""Live updates for the office: every committed change to jobs is announced on a channel.

The dispatch board subscribes over server-sent events and fetches what changed. With
``FIELDSYNC_REDIS_URL`` the channel goes through Redis pub/sub, so a change committed by one
app process reaches the boards connected to every other; without it, it stays in the process.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Iterable

import msgspec
from litestar.channels import ChannelsPlugin
from litestar.channels.backends.memory import MemoryChannelsBackend
from litestar.channels.backends.redis import RedisChannelsPubSubBackend

BOARD = "board"
"""The channel of job changes."""
NO_COMPRESSION = "no_compression"
"""Route ``opt`` key: never gzip this route's answers (event streams)."""

log = logging.getLogger("fieldsync.live")


class JobsChanged(msgspec.Struct, kw_only=True):
    """One committed transaction's jobs (as an SSE event ``jobs``)."""

    jobs: list[uuid.UUID]


def channels_plugin(redis_url: str) -> ChannelsPlugin:
    """The channels of this process: Redis pub/sub when a URL is set, else in memory."""
    if redis_url:
        from redis.asyncio import Redis

        backend: MemoryChannelsBackend | RedisChannelsPubSubBackend = RedisChannelsPubSubBackend(
            redis=Redis.from_url(redis_url), key_prefix="fieldsync"
        )
    else:
        backend = MemoryChannelsBackend()
    return ChannelsPlugin(backend=backend, channels=[BOARD], subscriber_max_backlog=1000)


class Announcer:
    """Publishes the jobs of each committed write transaction (``Database.on_jobs_changed``)."""

    def __init__(self, plugin: ChannelsPlugin) -> None:
        self.plugin = plugin

    def __call__(self, jobs: Iterable[uuid.UUID]) -> None:
        changed = sorted(jobs)
        try:
            self.plugin.publish(msgspec.json.encode(JobsChanged(jobs=changed)), BOARD)
        except RuntimeError:
            # Not started (an app used without its lifespan, as some tests do): nobody listens.
            log.debug("live channel not started; %d job changes not announced", len(changed))
