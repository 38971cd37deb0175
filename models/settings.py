"""Every knob Signalbox reads from its environment, each named SIGNALBOX_<FIELD>."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any, Final, Literal
from urllib.parse import unquote_plus, urlsplit

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict


def default_database_url(data: dict[str, Any]) -> str:
    """SQLite in the home folder: works on one machine with no set-up."""
    return f"sqlite+aiosqlite:///{Path(data['home']) / 'signalbox.db'}"


def default_ui_url(data: dict[str, Any]) -> str:
    """This server's own address: the web UI is served beside the API."""
    return f"http://{data['api_host']}:{data['api_port']}"


class Settings(BaseSettings):
    """Every knob Signalbox reads from its environment, each named SIGNALBOX_<FIELD>.

    Built at the edges (a CLI command, a worker process at boot, a test fixture) and passed
    down; nothing below those reads the environment.
    """

    model_config = SettingsConfigDict(env_prefix="SIGNALBOX_", frozen=True)

    home: Path = Field(default_factory=lambda: Path.home() / ".signalbox")
    database_url: str = Field(default_factory=default_database_url)
    #: None: `signalbox server start` runs an embedded Redis under the home folder.
    redis_url: str | None = None
    #: Seconds between two sweeps of the outbox by each API process: what a request could not
    #: hand to Redis (Redis away) is sent once it answers again, at most this much later.
    outbox_sweep_seconds: float = Field(default=1.0, gt=0)
    #: Megabytes Redis may use (its INFO `used_memory`) before the API holds back producers of
    #: bulk messages (the events socket, log batches) until workers take messages; what it
    #: accepted below the mark is confirmed at once. 0: never held back for Redis's memory.
    #: A Redis `maxmemory` lower than this lowers the mark to 90% of it (see actors/high_water.py).
    queue_high_water_mb: float = Field(default=256.0, ge=0)
    api_host: str = "127.0.0.1"
    api_port: int = 4200
    #: `user:password`: callers must send it as HTTP basic auth (Prefect's
    #: PREFECT_API_AUTH_STRING); unset, only API keys (if any exist) protect the API.
    api_auth_string: SecretStr | None = None
    #: Host names (comma-separated) the API answers for besides the bind address,
    #: localhost, 127.0.0.1 and ::1; `*` for any. Guards against DNS rebinding.
    allowed_hosts: str = ""
    #: Origins (comma-separated, `https://ui.example.com`) whose pages may call the API;
    #: empty: CORS off, and a request from any other page's origin is refused.
    cors_allowed_origins: str = ""
    #: Where people open the web UI (the base of links in notifications); this server's own
    #: address unless the UI is reached through another (a proxy, a public host name).
    ui_url: str = Field(default_factory=default_ui_url)
    #: Apply migrations to head when the server starts.
    migrate_on_start: bool = True
    #: Seconds SQLite waits for another writer before giving up.
    sqlite_busy_timeout_seconds: float = 30.0
    #: Key for block documents at rest; generated into the home folder when not given.
    encryption_key: SecretStr | None = None
    #: Seconds after the last flow-run heartbeat before a RUNNING run is marked CRASHED.
    flow_run_heartbeat_timeout_seconds: float = 540.0
    #: Seconds a flow run may stay CANCELLING before it is marked CANCELLED (nothing stopped it).
    cancelling_timeout_seconds: float = 300.0
    #: Heartbeat intervals a Prefect worker may miss before the foreman marks it OFFLINE.
    worker_inactivity_heartbeat_multiple: int = 3
    #: The heartbeat interval assumed for a Prefect worker that did not say its own.
    worker_fallback_heartbeat_interval_seconds: int = 30
    #: Seconds without a poll before the foreman marks a work queue NOT_READY.
    work_queue_last_polled_timeout_seconds: int = 60
    #: Seconds without a poll (of it or its queue) before a deployment is marked NOT_READY.
    deployment_last_polled_timeout_seconds: int = 60
    #: The scheduler (as Prefect's PREFECT_SERVER_SERVICES_SCHEDULER_*): each active
    #: schedule gets runs until both minimums are met (at least `min_runs`, and runs up to
    #: `min_scheduled_time_seconds` ahead), never more than `max_runs` of them nor past
    #: `max_scheduled_time_seconds` ahead.
    scheduler_min_runs: int = Field(default=3, ge=0)
    scheduler_max_runs: int = Field(default=100, ge=1)
    scheduler_min_scheduled_time_seconds: float = Field(default=3600.0, ge=0)
    scheduler_max_scheduled_time_seconds: float = Field(default=100 * 86400.0, gt=0)
    #: Deployments one scheduling message looks at; more left means another message.
    scheduler_deployment_batch_size: int = Field(default=100, ge=1)
    #: Scheduled runs inserted per transaction.
    scheduler_insert_batch_size: int = Field(default=500, ge=1)
    #: A deployment changed this recently (plus a second) is scheduled by the quick pass.
    scheduler_recent_deployments_seconds: float = Field(default=5.0, gt=0)
    #: Seconds after its scheduled time that a SCHEDULED flow run is marked Late.
    late_runs_after_seconds: float = Field(default=15.0, ge=0)
    #: Seconds a flow run refused its deployment's concurrency slot (ENQUEUE) waits, as
    #: AwaitingConcurrencySlot, before it is offered to workers again (Prefect's default).
    deployment_concurrency_slot_wait_seconds: float = Field(default=30.0, gt=0)
    #: Seconds a task worker has, once it acknowledged a background task run, to move it out
    #: of SCHEDULED before the run is sent to a task worker again.
    background_task_pickup_seconds: float = 30.0
    #: Seconds one notification HTTP attempt may take.
    delivery_timeout_seconds: float = 10.0
    #: HTTP attempts one delivery gets before it becomes a dead letter.
    delivery_max_attempts: int = 10
    #: Seconds after it was queued that a delivery is no longer worth retrying (a page an
    #: hour late does more harm than good).
    delivery_max_age_seconds: float = 3600.0
    #: Seconds before the first retry when the receiver named no delay; doubles each time.
    delivery_backoff_seconds: float = 5.0
    #: The longest wait between two attempts when the receiver named no delay.
    delivery_max_backoff_seconds: float = 600.0
    #: Seconds the automations sweep reads back before its cursor (writes that commit late).
    automation_sweep_overlap_seconds: float = Field(default=30.0, ge=0)
    #: Hours an event stays worth evaluating after it was received; a replay of an older one
    #: sets nothing off, and the records of evaluated events are kept as long.
    automation_evaluation_horizon_hours: float = Field(default=24.0, gt=0)
    #: Seconds after which a firing whose actions have not started is handed over again.
    automation_firing_resend_after_seconds: float = Field(default=60.0, gt=0)
    #: The longest text one automation action template may render, in bytes (UTF-8); a
    #: longer one fails its action.
    automation_template_max_bytes: int = Field(default=65_536, gt=0)
    #: Seconds a running automation action is left to its runner before a redelivered
    #: message takes it over (the runner died mid-action).
    automation_action_lease_seconds: float = Field(default=120.0, gt=0)
    #: The level of every process's log: DEBUG, INFO, WARNING, ERROR.
    log_level: str = "INFO"
    #: `plain` lines for people, or `json`: one object per line for log collectors.
    log_format: Literal["plain", "json"] = "plain"
    #: One line per answered request from each API process (off: none, for the last few
    #: percent of throughput).
    access_log: bool = True
    #: Refuse private addresses (loopback, private, link-local, metadata...) for every
    #: notification, whatever its block's `allow_private_urls` says.
    block_private_urls: bool = False
    #: Base URLs of the channels whose host is fixed (None: the vendor's, by region); tests
    #: and self-hosted gateways point them elsewhere.
    discord_base_url: str | None = None
    opsgenie_base_url: str | None = None
    pagerduty_base_url: str | None = None
    sendgrid_base_url: str | None = None
    twilio_base_url: str | None = None

    def masked(self) -> dict[str, str]:
        """The effective values as text, with passwords and secrets replaced by stars."""
        shown: dict[str, str] = {}
        for name in type(self).model_fields:
            value = getattr(self, name)
            if isinstance(value, SecretStr):
                text = "********" if value.get_secret_value() else ""
            elif name.endswith("_url") and value:
                text = mask_url_password(str(value))
            else:
                text = "" if value is None else str(value)
            shown[name] = text
        return shown


def mask_url_password(url: str) -> str:
    """The URL with its secrets shown as ***: the password of its userinfo, the values of
    query parameters named like secrets, and (in http URLs) tokens given as the user or as a
    path segment."""
    try:
        parts = urlsplit(url)
    except ValueError:  # an unparsable URL may still hold a secret
        return "<unparsable URL>"
    web = parts.scheme.lower() in {"http", "https"}
    netloc = parts.netloc
    # The host follows the last "@": a password may hold "@" that nobody percent-encoded.
    userinfo, at, host = netloc.rpartition("@")
    if at:
        user, colon, _password = userinfo.partition(":")
        if colon:
            netloc = f"{user}:***@{host}"
        elif web:  # https://<token>@gateway: an http user is a credential, not a name
            netloc = f"***@{host}"
    path = parts.path
    if web:
        path = "/".join("***" if looks_like_token(piece) else piece for piece in path.split("/"))
    masked = f"{parts.scheme}:" if parts.scheme else ""
    if url[len(masked) :].startswith("//"):  # kept as given: sqlite:////abs/path has none
        masked += f"//{netloc}"
    masked += path
    if parts.query:
        masked += "?" + "&".join(mask_query_parameter(pair) for pair in parts.query.split("&"))
    if parts.fragment:
        masked += f"#{parts.fragment}"
    return masked


#: Words that make a query parameter's value a secret (`?password=`, `api_key=`, `sig=` ...).
SECRET_PARAMETER_WORDS: Final = ("pass", "pwd", "secret", "token", "key", "auth", "sig", "cred")
#: A path segment this long, of letters and digits both, is taken for a token (Discord's and
#: Slack's webhook URLs carry theirs in the path).
TOKEN_MIN_LENGTH: Final = 20
TOKEN_PATTERN: Final = re.compile(r"[A-Za-z0-9_\-.~]+")


def mask_query_parameter(pair: str) -> str:
    name, equals, _value = pair.partition("=")
    if equals and any(word in unquote_plus(name).lower() for word in SECRET_PARAMETER_WORDS):
        return f"{name}=***"
    return pair


def looks_like_token(piece: str) -> bool:
    return (
        len(piece) >= TOKEN_MIN_LENGTH
        and TOKEN_PATTERN.fullmatch(piece) is not None
        and any(c.isdigit() for c in piece)
        and any(c.isalpha() for c in piece)
    )
