"""A batch the database refuses is split until each refused record stands alone.

The API coalesces records from many clients into one message, so a record that passed the
edge and still fails (a value a database refuses, a message put on Redis by hand) must not
cost the others. Its message is split in two and each half sent on as a message of its
own, halving again until the refused record is a message of one, which becomes a dead
letter with its reason at once; every other record is stored. Records carry their ids,
so a half that is stored twice stores nothing twice.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import TypeVar

from sqlalchemy.exc import DataError, DBAPIError, IntegrityError, StatementError

from actors.retrying import database_unavailable

logger = logging.getLogger(__name__)

Record = TypeVar("Record")


class RecordRefused(Exception):
    """The database refuses this record, alone in its message: a dead letter at once."""


def refused_by_database(error: BaseException) -> bool:
    """Whether the error is about the records themselves, not about reaching the database.

    A value the driver or the database refuses (DataError, IntegrityError), a value that
    cannot be bound (a StatementError that is no driver error), or one our own checks
    refuse (ValueError, which pydantic's ValidationError is, OverflowError, TypeError,
    KeyError). Trying again would fail again; an unavailable database is none of these.
    """
    if database_unavailable(error):
        return False
    if isinstance(error, (DataError, IntegrityError)):
        return True
    if isinstance(error, StatementError) and not isinstance(error, DBAPIError):
        return True
    return isinstance(error, (ValueError, OverflowError, TypeError, KeyError))


async def store_or_split(
    records: list[Record],
    store: Callable[[], Awaitable[object]],
    send: Callable[[list[Record]], Awaitable[object]],
) -> None:
    """Run `store` for the batch; if the records are refused, `send` each half on alone.

    Raises RecordRefused when a batch of one is refused, and any other error as it is (an
    unavailable database: the whole message tries again).
    """
    try:
        await store()
    except Exception as error:
        if not refused_by_database(error):
            raise
        reason = f"{type(error).__name__}: {error}"
        if not isinstance(records, list) or len(records) <= 1:  # not even a list: no split
            raise RecordRefused(reason) from error
        logger.warning(
            "A batch of %d records was refused (%s); it goes on in two halves.",
            len(records),
            reason.splitlines()[0][:300],
        )
        middle = len(records) // 2
        await send(records[:middle])
        await send(records[middle:])
