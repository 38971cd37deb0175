"""When persistence actors try again: forever while the database is away, a few times otherwise.

A message that cannot be parsed never retries (`throws`); a message the database refuses for
another reason (a bug, a constraint) retries a few times and then becomes a dead letter with
its reason; a message that only waits for the database to come back is never given up.
"""

from __future__ import annotations

from typing import Any, Final

from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError

#: Tries of a message that fails for a reason other than an unavailable database.
MAX_OTHER_FAILURES: Final = 10
#: Backoff between tries, in milliseconds: short at first, capped so recovery is prompt.
MIN_BACKOFF_MS: Final = 200
MAX_BACKOFF_MS: Final = 30_000


def database_unavailable(error: BaseException) -> bool:
    """Whether the error says the database could not be reached or was busy."""
    if isinstance(error, (OperationalError, InterfaceError, ConnectionError, OSError)):
        return True
    return isinstance(error, DBAPIError) and error.connection_invalidated


def retry_persistence(retries: int, error: BaseException) -> bool:
    """Dramatiq's `retry_when` for persistence actors."""
    return database_unavailable(error) or retries < MAX_OTHER_FAILURES


#: The options every persistence actor shares: no fixed number of tries (`retry_persistence`
#: decides), and a backoff capped so that recovery is prompt.
PERSISTENCE_OPTIONS: Final[dict[str, Any]] = {
    "max_retries": None,
    "retry_when": retry_persistence,
    "min_backoff": MIN_BACKOFF_MS,
    "max_backoff": MAX_BACKOFF_MS,
}
