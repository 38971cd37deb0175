"""One logging set-up for every process: the level, plain lines or one JSON object a line,
and the request id on every record."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator

import dramatiq
import pytest

from models.logging_setup import REQUEST_ID, configure_logging
from models.settings import Settings


@pytest.fixture
def restored_logging() -> Iterator[None]:
    """The root logger as pytest set it up, back after the test replaced it."""
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    yield
    root.handlers[:] = handlers
    root.setLevel(level)


def test_json_lines_carry_time_level_logger_message_and_request_id(
    restored_logging: None,
) -> None:
    stream = io.StringIO()
    configure_logging(Settings(log_format="json"), "api 1", stream)
    token = REQUEST_ID.set("req-42")
    try:
        logging.getLogger("signalbox.test").info("Delivery %s delivered.", "d-1")
    finally:
        REQUEST_ID.reset(token)
    logging.getLogger("signalbox.test").warning("Outside a request.")

    first, second = (json.loads(line) for line in stream.getvalue().splitlines())
    assert first["message"] == "Delivery d-1 delivered."
    assert (first["level"], first["logger"], first["request_id"]) == (
        "INFO",
        "signalbox.test",
        "req-42",
    )
    assert first["time"].endswith("+00:00")
    assert first["process"] == "api 1"
    assert second["request_id"] == "-"


def test_plain_lines_and_the_level_are_configured(restored_logging: None) -> None:
    stream = io.StringIO()
    configure_logging(Settings(log_level="warning"), "worker state", stream)
    logging.getLogger("signalbox.test").info("Not shown.")
    logging.getLogger("signalbox.test").warning("Shown.")

    [line] = stream.getvalue().splitlines()
    assert line.endswith("WARNING [worker state] signalbox.test: Shown.")


def test_an_exception_is_one_json_object(restored_logging: None) -> None:
    stream = io.StringIO()
    configure_logging(Settings(log_format="json"), "api", stream)
    try:
        raise ValueError("boom")
    except ValueError:
        logging.getLogger("signalbox.test").exception("It failed.")

    [line] = stream.getvalue().splitlines()
    assert "ValueError: boom" in json.loads(line)["exception"]


def test_a_failed_message_is_logged_by_actor_and_id_without_its_arguments(
    restored_logging: None,
) -> None:
    stream = io.StringIO()
    configure_logging(Settings(), "worker ingest", stream)
    message = dramatiq.Message(
        queue_name="ingest",
        actor_name="persist_logs",
        args=([{"message": "password=hunter2"}],),
        kwargs={},
        options={},
    )
    logging.getLogger("dramatiq.worker.WorkerThread").error(
        "Failed to process message %s with unhandled exception.", message
    )

    line = stream.getvalue()
    assert f"persist_logs message {message.message_id}" in line
    assert "hunter2" not in line
