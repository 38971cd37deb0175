"""Every actor of Signalbox; importing this package declares them all on the broker.

`dramatiq actors` (or `signalbox worker`) imports it; the broker module comes first. The
channel registry imports each channel's module, declaring its actor.
"""

# The broker first: an actor binds to the broker set when its module is imported.
from actors import broker  # noqa: F401

# isort: split
from actors import (  # noqa: F401
    automation_actions,
    automations,
    counters,
    ingest,
    notifications,
    persistence,
    scheduler,
    services,
)
from actors.channels import registry  # noqa: F401
