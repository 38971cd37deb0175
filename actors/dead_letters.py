"""Dead letters: a message Dramatiq gives up on is copied into the database with its reason.

Dramatiq keeps failed messages in Redis for a week (the `.XQ` queues); the database copy is
what `signalbox queue dead-letters` lists and `replay` sends again, and it outlives Redis.
"""

from __future__ import annotations

import logging
from typing import Any

from dramatiq import Broker, Middleware
from dramatiq.broker import MessageProxy
from sqlalchemy.exc import SQLAlchemyError

from actors import resources
from actors.lifecycle import run_on_worker_loop
from models.messages.dead_letters import record_dead_letter

logger = logging.getLogger(__name__)

#: Characters of the failure kept as the reason.
MAX_REASON_CHARS = 2000


class DeadLetters(Middleware):
    """Writes every failed message (unparsable, or out of retries) to the dead-letter table."""

    def after_process_message(
        self,
        broker: Broker,
        message: MessageProxy,
        *,
        result: Any = None,
        exception: BaseException | None = None,
    ) -> None:
        if exception is None or not message.failed:
            return
        reason = f"{type(exception).__name__}: {exception}"[:MAX_REASON_CHARS]
        try:
            run_on_worker_loop(store(message, reason))
        except SQLAlchemyError as error:
            # The message stays in Redis's dead-letter queue; only the copy is missing.
            logger.error(
                "Message %s failed (%s) and could not be recorded as a dead letter: %s",
                message.message_id,
                reason,
                error,
            )


async def store(message: MessageProxy, reason: str) -> None:
    async with resources.database().sessions.begin() as session:
        await record_dead_letter(
            session,
            message_id=message.message_id,
            queue_name=message.queue_name,
            actor_name=message.actor_name,
            message=message.asdict(),
            reason=reason,
        )
