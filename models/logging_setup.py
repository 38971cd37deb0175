"""How every Signalbox process logs: one `dictConfig`, plain lines or one JSON object a line.

Called once at the start of each process (the API, each worker process, the clock) by the
command that starts it. Every record carries the id of the HTTP request it was written for
(`request_id`, "-" outside one), set by the API's request-id middleware. Log lines are
sentences with ids: no message bodies, no secrets.
"""

from __future__ import annotations

import json
import logging
import logging.config
import sys
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import IO, Any, Final

from models.settings import Settings

#: The id of the HTTP request being answered, for every record written while answering it.
REQUEST_ID: Final[ContextVar[str | None]] = ContextVar("request_id", default=None)
#: The logger of the API's access log, one line per request.
ACCESS_LOGGER: Final = "signalbox.access"
#: What a plain line shows.
PLAIN_FORMAT: Final = "%(asctime)s %(levelname)s [%(process_label)s] %(name)s: %(message)s"
#: Attributes every LogRecord has; anything else on a record was passed as `extra`.
STANDARD_ATTRIBUTES: Final = frozenset(vars(logging.makeLogRecord({}))) | {
    "message",
    "asctime",
    "request_id",
    "process_label",
}
#: Loggers of libraries that are too talkative at INFO.
QUIET_LOGGERS: Final = ("aiohttp.access", "asyncio", "alembic.runtime.migration")


def without_body(value: object) -> object:
    """A queued message as its actor and id; anything else as it is.

    Dramatiq logs a failed message with `%s`, which writes every argument: log records,
    events, delivery ids. Its actor and id say which message it was without them.
    """
    message_id, actor_name = getattr(value, "message_id", None), getattr(value, "actor_name", None)
    if isinstance(message_id, str) and isinstance(actor_name, str):
        return f"{actor_name} message {message_id}"
    return value


class ContextFilter(logging.Filter):
    """Puts the request id and the process's label on every record, and keeps the bodies of
    queued messages out of it."""

    def __init__(self, process_label: str = "") -> None:
        super().__init__()
        self.process_label = process_label

    def filter(self, record: logging.LogRecord) -> bool:
        if not hasattr(record, "request_id"):
            record.request_id = REQUEST_ID.get() or "-"
        record.process_label = self.process_label
        if isinstance(record.args, tuple):
            record.args = tuple(without_body(value) for value in record.args)
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message, request_id, process, and the
    record's `extra` fields (the access log's method, path, status and duration)."""

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "request_id": getattr(record, "request_id", None) or REQUEST_ID.get(),
            "process": getattr(record, "process_label", ""),
        }
        for name, value in vars(record).items():
            if name not in STANDARD_ATTRIBUTES and name not in line:
                line[name] = value
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        return json.dumps(line, default=str, ensure_ascii=False)


def logging_config(settings: Settings, process_label: str, stream: IO[str]) -> dict[str, Any]:
    """The `dictConfig` of a process: one handler on `stream`, the format and level chosen."""
    formatter: dict[str, Any] = (
        {"()": JsonFormatter}
        if settings.log_format == "json"
        else {"format": PLAIN_FORMAT, "datefmt": "%Y-%m-%dT%H:%M:%S%z"}
    )
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "filters": {"context": {"()": ContextFilter, "process_label": process_label}},
        "formatters": {"signalbox": formatter},
        "handlers": {
            "console": {
                "class": "logging.StreamHandler",
                "stream": stream,
                "formatter": "signalbox",
                "filters": ["context"],
            }
        },
        "loggers": {name: {"level": "WARNING"} for name in QUIET_LOGGERS},
        "root": {"level": settings.log_level.upper(), "handlers": ["console"]},
    }


def configure_logging(
    settings: Settings, process_label: str, stream: IO[str] | None = None
) -> None:
    """Set up this process's logging (SIGNALBOX_LOG_LEVEL, SIGNALBOX_LOG_FORMAT), on stderr
    unless `stream` is given. Calling it again replaces the set-up."""
    logging.config.dictConfig(logging_config(settings, process_label, stream or sys.stderr))
