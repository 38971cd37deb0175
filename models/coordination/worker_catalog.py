"""The worker type catalog: the Prefect worker types a work pool can be created for.

`worker_catalog.json` beside this module is Prefect 3.9.1's catalog as its server serves it
(`GET /api/collections/views/aggregate-worker-metadata`), grouped by the package that ships
each type: `prefect` (`process`) and the integrations (docker, kubernetes, ECS, Cloud Run,
Vertex AI, Azure Container Instances). `prefect work-pool create --type process` reads the
type's default base job template from it.
"""

from __future__ import annotations

import functools
import json
from importlib import resources
from typing import Any


@functools.cache
def worker_catalog() -> dict[str, Any]:
    """The catalog, read once per process."""
    text = resources.files("models.coordination").joinpath("worker_catalog.json").read_text()
    catalog: dict[str, Any] = json.loads(text)
    return catalog
