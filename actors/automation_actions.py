"""The `actions` queue: running an automation's actions for each of its firings."""

from __future__ import annotations

import dramatiq

from actors.retrying import PERSISTENCE_OPTIONS


@dramatiq.actor(queue_name="actions", **PERSISTENCE_OPTIONS)
async def act_on_firing(firing_id: str) -> None:
    """Run the actions of the automation whose trigger fired (`models/automations/firings.py`),
    each once however often the firing is handed over."""
