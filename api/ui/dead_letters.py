"""`/notifications/dead-letters`: the messages that failed for good, counted per queue and
listed newest first with their reason, with Replay and Purge.

Reads through the functions the dead-letter routes (`/api/admin/dead_letters`) call; Replay
and Purge are those routes, called from the page.
"""

from __future__ import annotations

from typing import Any, Final

import aiohttp_jinja2
from aiohttp import web

from api import keys
from api.routes.dead_letters import queue_parameter
from models.messages.dead_letters import count_dead_letters_by_queue, list_dead_letters
from models.schemas.dead_letters import DeadLetterResponse

routes = web.RouteTableDef()

#: Dead letters listed at the most.
LISTED: Final = 50
#: Seconds between refreshes: no event announces a dead letter.
POLL_SECONDS: Final = 5
#: Characters of a reason shown in the table (its first line); the whole one is a title.
REASON_CHARS: Final = 160


@routes.get("/notifications/dead-letters")
@aiohttp_jinja2.template("dead_letters.html")
async def dead_letters_page(request: web.Request) -> dict[str, Any]:
    queue_name = queue_parameter(request)
    async with request.app[keys.database].read_sessions() as session:
        counts = await count_dead_letters_by_queue(session)
        letters = await list_dead_letters(session, queue_name=queue_name, limit=LISTED)
    return {
        "queue": queue_name,
        "counts": counts,
        "letters": [DeadLetterResponse.model_validate(letter) for letter in letters],
        "reason_chars": REASON_CHARS,
        "live_poll": POLL_SECONDS,
    }
