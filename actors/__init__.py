"""Every actor of Signalbox; importing this package declares them all on the broker.

`dramatiq actors` (or `signalbox worker`) imports it; the broker module comes first.
"""

from actors import (  # noqa: F401
    broker,
    counters,
    ingest,
    notifications,
    persistence,
    services,
)
from actors.channels import (  # noqa: F401
    discord,
    mattermost,
    opsgenie,
    pagerduty,
    sendgrid,
    slack,
    teams,
    twilio,
    webhook,
)
