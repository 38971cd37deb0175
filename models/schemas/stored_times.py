"""Times a record may carry: instants both databases store and read back in any offset.

Python and SQLite know years 1 to 9999 only, and a time within a day of either end can
leave them once put in UTC or read back in another zone: `9999-12-31T23:00:00-14:00` is
year 10000 in UTC, `0001-01-01T00:00:00+23:59` is year 0. Such a record passed as a time
and then failed in the writer, beside every record coalesced with it; it is refused at the
edge instead, naming its field.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Final

from pydantic import AfterValidator, AwareDatetime

#: The earliest instant kept: a day after year 1 begins, so every offset still reads it.
EARLIEST_STORED_TIME: Final = datetime(1, 1, 2, tzinfo=UTC)
#: The latest instant kept: a day before year 9999 ends, for the same reason.
LATEST_STORED_TIME: Final = datetime(9999, 12, 30, tzinfo=UTC)


def check_stored_time(moment: datetime) -> datetime:
    """`moment` itself; ValueError when a database could not store or read it back."""
    # Aware times compare as instants without being converted, so this cannot overflow.
    if not EARLIEST_STORED_TIME <= moment <= LATEST_STORED_TIME:
        raise ValueError("a time must lie between 0001-01-02 and 9999-12-30 in UTC")
    return moment


#: An aware time within the years every database and every offset can hold.
StoredTime = Annotated[AwareDatetime, AfterValidator(check_stored_time)]
