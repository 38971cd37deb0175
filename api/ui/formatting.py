"""How pages write values: times, durations, states, and links kept with their query.

One place for these, so that every page shows a state with the same colour and label and a
time the same way. Installed on the Jinja environment as filters and globals.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any, Final
from urllib.parse import urlencode

import jinja2
from markupsafe import Markup, escape

from models.states import StateType

#: Each state type's colour class (app.css); a badge also always carries the state's name,
#: so no page tells states apart by colour alone.
STATE_CLASSES: Final = {state_type: f"state-{state_type.value.lower()}" for state_type in StateType}


def state_class(state_type: str | StateType | None) -> str:
    """The CSS class of a state type; unknown or missing types are grey."""
    if state_type is None:
        return "state-none"
    try:
        return STATE_CLASSES[StateType(state_type)]
    except ValueError:
        return "state-none"


def state_badge(state_type: str | StateType | None, name: str | None = None) -> Markup:
    """A state as a coloured badge with its name as text (`Late`, `AwaitingRetry`)."""
    label = name or (str(state_type).title() if state_type else "No state")
    return Markup('<span class="state {cls}" data-state-type="{type}">{label}</span>').format(
        cls=state_class(state_type), type=state_type or "", label=label
    )


def as_utc(moment: datetime | None) -> datetime | None:
    if moment is None:
        return None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def when(moment: datetime | None) -> Markup:
    """A time as a `<time>` element: the exact UTC time, readable and machine-readable."""
    moment = as_utc(moment)
    if moment is None:
        return Markup('<span class="muted">—</span>')
    return Markup('<time datetime="{iso}" title="{iso}">{text}</time>').format(
        iso=moment.isoformat(), text=moment.strftime("%Y-%m-%d %H:%M:%S")
    )


def ago(moment: datetime | None, now: datetime | None = None) -> str:
    """How long before `now` (or after, for a time to come), in the largest fitting unit."""
    moment = as_utc(moment)
    if moment is None:
        return "never"
    seconds = ((now or datetime.now(UTC)) - moment).total_seconds()
    text = duration(abs(seconds))
    return f"{text} ago" if seconds >= 0 else f"in {text}"


def duration(seconds: float | timedelta | None) -> str:
    """A duration people read: `850 ms`, `42 s`, `3 min 5 s`, `2 h 10 min`, `3 d 4 h`."""
    if seconds is None:
        return "—"
    if isinstance(seconds, timedelta):
        seconds = seconds.total_seconds()
    if seconds < 1:
        return f"{seconds * 1000:.0f} ms"
    if seconds < 60:
        return f"{seconds:.0f} s" if seconds >= 10 else f"{seconds:.1f} s"
    minutes, rest = divmod(int(seconds), 60)
    if minutes < 60:
        return f"{minutes} min {rest} s" if rest else f"{minutes} min"
    hours, minutes = divmod(minutes, 60)
    if hours < 24:
        return f"{hours} h {minutes} min" if minutes else f"{hours} h"
    days, hours = divmod(hours, 24)
    return f"{days} d {hours} h" if hours else f"{days} d"


def with_query(query: Any, **changes: Any) -> str:
    """`?…` with the page's query (a MultiDict) changed: None removes a parameter.

    Filters, sorting and paging links keep every other parameter the page was opened with.
    """
    items = [(key, value) for key, value in query.items() if key not in changes]
    for key, value in changes.items():
        if value is None:
            continue
        values = value if isinstance(value, list | tuple) else [value]
        items.extend((key, str(item)) for item in values)
    return "?" + urlencode(items) if items else "?"


def json_text(value: Any, indent: int | None = None) -> str:
    """A value as JSON text for people (non-ASCII kept); the template escapes it."""
    return json.dumps(value, indent=indent, ensure_ascii=False, default=str)


def install(environment: jinja2.Environment) -> None:
    """These filters and globals on the UI's template environment."""
    environment.filters.update(
        state_class=state_class, when=when, ago=ago, duration=duration, escape=escape
    )
    environment.globals.update(state_badge=state_badge, with_query=with_query)
    environment.filters.update(json_text=json_text)
