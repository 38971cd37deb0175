"""Every actor of Signalbox; importing this package declares them all on the broker.

`dramatiq actors` (or `signalbox worker`) imports it; the broker module comes first.
"""

from actors import (  # noqa: F401
    broker,
    ingest,
    persistence,
    services,
)
