"""The typed keys under which the application keeps what it opened."""

from __future__ import annotations

from typing import TYPE_CHECKING

import redis.asyncio
from aiohttp import web

from models.db.database import Database
from models.runs.background_tasks import BackgroundTaskQueues
from models.settings import Settings

if TYPE_CHECKING:  # for the names only: api.outbox would bring every actor along
    from actors.high_water import HighWaterMark
    from api.auth import Gatekeeper
    from api.cross_site import CrossSitePolicy
    from api.events_hub import EventsHub
    from api.outbox import Outbox

settings = web.AppKey("settings", Settings)
database = web.AppKey("database", Database)
redis_client = web.AppKey("redis_client", redis.asyncio.Redis)
background_tasks = web.AppKey("background_tasks", BackgroundTaskQueues)
#: The schema revision this code needs (the newest migration), for /api/ready: given by the
#: CLI, which may read the migrations (the API may not).
schema_head = web.AppKey("schema_head", str)
outbox: web.AppKey[Outbox] = web.AppKey("outbox")
#: Redis's memory against SIGNALBOX_QUEUE_HIGH_WATER_MB, shared by every producer.
high_water: web.AppKey[HighWaterMark] = web.AppKey("high_water")
events_hub: web.AppKey[EventsHub] = web.AppKey("events_hub")
gatekeeper: web.AppKey[Gatekeeper] = web.AppKey("gatekeeper")
cross_site_policy: web.AppKey[CrossSitePolicy] = web.AppKey("cross_site_policy")
