"""`/notifications/delivery/<id>`: one delivery with every attempt and what the receiver
answered (secrets blanked out when it was recorded), and its Replay button.

Reads through the function the delivery route calls; Replay is the API's replay route. No
event announces a new attempt, so the page polls.
"""

from __future__ import annotations

from typing import Any, Final

import aiohttp_jinja2
from aiohttp import web

from api import keys
from api.requests import path_uuid
from models.notifications.history import read_delivery_history
from models.notifications.policies import read_notification_blocks
from models.notifications.replay import REPLAYABLE
from models.schemas.deliveries import DeliveryResponse

routes = web.RouteTableDef()

#: Seconds between refreshes while the page is open: attempts follow each other quickly.
POLL_SECONDS: Final = 2


@routes.get("/notifications/delivery/{id}")
@aiohttp_jinja2.template("delivery.html")
async def delivery_page(request: web.Request) -> dict[str, Any]:
    async with request.app[keys.database].read_sessions() as session:
        row, attempts = await read_delivery_history(session, path_uuid(request))
        ids = [row.block_document_id] if row.block_document_id else []
        blocks = await read_notification_blocks(session, ids)
    delivery = DeliveryResponse.from_row(row, attempts)
    return {
        "delivery": delivery,
        "block": blocks[0] if blocks else None,
        "replayable": delivery.status in REPLAYABLE,
        "live_poll": POLL_SECONDS,
    }
