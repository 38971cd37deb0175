"""Every actor of Signalbox; importing this package declares them all on the broker.

`dramatiq actors` (or `signalbox worker`) imports it; the broker module comes first. The
channel registry imports each channel's module, declaring its actor.
"""

# First: an actor joins the broker that is set when it is declared, and the modules named
# below in alphabetical order include some (`automation_actions`) that come before it.
import actors.broker  # noqa: F401
from actors import (  # noqa: F401
    automation_actions,
    automations,
    broker,
    counters,
    ingest,
    notifications,
    persistence,
    scheduler,
    services,
)
from actors.channels import registry  # noqa: F401
