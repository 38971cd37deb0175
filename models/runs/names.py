"""Names the server makes up for flow runs the client did not name: adjective-animal."""

from __future__ import annotations

import secrets

ADJECTIVES = (
    "amber", "brave", "calm", "daring", "eager", "fearless", "gentle", "hardy", "idle", "jolly",
    "keen", "lively", "merry", "nimble", "orange", "patient", "quick", "rustic", "steady",
    "tidy", "upbeat", "vivid", "wise", "young", "zealous",
)  # fmt: skip
ANIMALS = (
    "albatross", "badger", "caribou", "dormouse", "egret", "ferret", "gazelle", "heron",
    "ibis", "jackal", "kestrel", "lemur", "marmot", "newt", "otter", "puffin", "quail",
    "raven", "stoat", "tapir", "urchin", "vole", "walrus", "yak", "zebra",
)  # fmt: skip


def make_run_name() -> str:
    """A readable name such as `steady-heron`; unique enough to tell runs apart in a list."""
    return f"{secrets.choice(ADJECTIVES)}-{secrets.choice(ANIMALS)}"
