"""Wire schemas of automation triggers: event, compound and sequence, as Prefect 3 sends them.

A trigger is stored as the JSON these classes dump (`Automation.trigger`) and read back
through `TriggerSpec`. Durations travel as a number of seconds, as the Prefect client sends
and reads them. Prefect's metric triggers belong to Prefect Cloud: its open-source server
refuses them, and so do we (422).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import timedelta
from enum import StrEnum
from fnmatch import fnmatchcase
from typing import Annotated, Any, Final, Literal
from uuid import UUID, uuid4

from pydantic import (
    BaseModel,
    ConfigDict,
    Discriminator,
    Field,
    PlainSerializer,
    RootModel,
    Tag,
    TypeAdapter,
    ValidationError,
    field_validator,
    model_validator,
)

#: The shortest window of a proactive trigger; a zero or missing one becomes this.
MIN_PROACTIVE_WITHIN: Final = timedelta(seconds=10)

#: A duration read from seconds (or an ISO 8601 duration) and written as seconds.
Seconds = Annotated[
    timedelta, PlainSerializer(lambda value: value.total_seconds(), return_type=float)
]

durations = TypeAdapter(timedelta)


class Posture(StrEnum):
    """Whether a trigger responds to the presence (Reactive) or the absence (Proactive) of
    the events it expects."""

    Reactive = "Reactive"
    Proactive = "Proactive"


def label_matches(pattern: str, value: str | None) -> bool:
    """Whether a label's value matches a pattern: a glob (`*`, `?`), negated by a leading `!`.

    A missing label matches nothing, a negated pattern included, as Prefect's server has it.
    """
    if value is None:
        return False
    if pattern.startswith("!"):
        return not fnmatchcase(value, pattern[1:])
    return fnmatchcase(value, pattern)


class ResourceSpecification(RootModel[dict[str, str | list[str]]]):
    """Which resources a trigger covers: label → one pattern or several (any may match).

    Empty, it covers every resource.
    """

    root: dict[str, str | list[str]] = Field(default_factory=dict)

    def patterns(self) -> dict[str, list[str]]:
        return {
            label: [value] if isinstance(value, str) else value
            for label, value in self.root.items()
        }

    def matches_every_resource(self) -> bool:
        return not self.root

    def matches_every_resource_of_kind(self, prefix: str) -> bool:
        """Whether it covers every resource whose id starts `<prefix>.` (or simply every one)."""
        if not self.root:
            return True
        resource_ids = self.patterns().get("prefect.resource.id")
        return len(self.root) == 1 and resource_ids is not None and f"{prefix}.*" in resource_ids

    def matches(self, labels: Mapping[str, str]) -> bool:
        """Whether one resource's labels satisfy every label of the specification."""
        return all(
            any(label_matches(pattern, labels.get(label)) for pattern in patterns)
            for label, patterns in self.patterns().items()
        )

    def includes(self, resources: Iterable[Mapping[str, str]]) -> bool:
        """Whether any of the resources matches (always, when the specification is empty)."""
        return not self.root or any(self.matches(labels) for labels in resources)


def event_name_matches(pattern: str, event: str) -> bool:
    """Whether an event name matches an `expect`/`after` pattern (`*` wildcards, `!` negation)."""
    return label_matches(pattern, event)


class TriggerModel(BaseModel):
    """What every trigger has: a type and an id, kept across updates so that the evaluator's
    state follows it. Unknown keys are ignored, as Prefect's server ignores them."""

    model_config = ConfigDict(extra="ignore")

    id: UUID = Field(default_factory=uuid4)

    def all_triggers(self) -> list[TriggerModel]:
        """This trigger and every trigger inside it, depth first."""
        return [self]


class EventTrigger(TriggerModel):
    """Fires on the presence (Reactive) or absence (Proactive) of events within a window."""

    type: Literal["event"] = "event"
    match: ResourceSpecification = Field(default_factory=ResourceSpecification)
    match_related: ResourceSpecification | list[ResourceSpecification] = Field(
        default_factory=ResourceSpecification
    )
    #: Events that must be seen first; empty: the trigger starts at once.
    after: set[str] = Field(default_factory=set)
    #: Events the trigger counts; empty: every event.
    expect: set[str] = Field(default_factory=set)
    #: Labels evaluated separately for each distinct value (`related:<role>:<label>` too).
    for_each: set[str] = Field(default_factory=set)
    posture: Posture
    threshold: int = 1
    within: Seconds = Field(default=timedelta(0), ge=timedelta(0))

    @model_validator(mode="before")
    @classmethod
    def proactive_window(cls, data: Any) -> Any:
        """A proactive trigger waits at least ten seconds: none given means ten, fewer is
        refused. A null `within` is refused for every posture, as Prefect's server does."""
        if not isinstance(data, dict):
            return data
        if "within" in data and data["within"] is None:
            raise ValueError("`within` should be a valid timedelta")
        if data.get("posture") != Posture.Proactive:
            return data
        within = data.get("within")
        if within is not None and not isinstance(within, timedelta):
            try:
                within = durations.validate_python(within)
            except ValidationError:
                return data  # the field's own validation names the bad value
        if not within:
            return {**data, "within": MIN_PROACTIVE_WITHIN}
        if within < MIN_PROACTIVE_WITHIN:
            raise ValueError(
                "`within` for Proactive triggers must be greater than or equal to 10 seconds"
            )
        return {**data, "within": within}

    @field_validator("match", mode="before")
    @classmethod
    def null_match_is_every_resource(cls, value: Any) -> Any:
        return {} if value is None else value

    def related_specifications(self) -> list[ResourceSpecification]:
        """`match_related` as a list: every one of them must be met by some related resource."""
        if isinstance(self.match_related, list):
            return self.match_related
        return [self.match_related]

    def covers_resources(
        self, resource: Mapping[str, str], related: Iterable[Mapping[str, str]]
    ) -> bool:
        """Whether an event about `resource`, with `related` resources, is one this trigger
        is about."""
        related = list(related)
        return self.match.includes([resource]) and all(
            specification.includes(related) for specification in self.related_specifications()
        )

    def expects(self, event: str) -> bool:
        """Whether the event counts towards the trigger (every event, when `expect` is empty)."""
        return not self.expect or any(event_name_matches(p, event) for p in self.expect)

    def starts_after(self, event: str) -> bool:
        """Whether the event is one of those the trigger waits for first."""
        return any(event_name_matches(pattern, event) for pattern in self.after)

    @property
    def immediate(self) -> bool:
        """A reactive trigger without a window fires on each event that completes it."""
        return self.posture is Posture.Reactive and self.within == timedelta(0)


class CompositeTrigger(TriggerModel):
    """Triggers that fire when their child triggers have fired within a window."""

    triggers: list[TriggerSpec]
    #: Required, and may be null (no window), as Prefect's server has it.
    within: Seconds | None = Field(ge=timedelta(0))

    def all_triggers(self) -> list[TriggerModel]:
        return [self, *(t for child in self.triggers for t in child.all_triggers())]


class CompoundTrigger(CompositeTrigger):
    """Fires when `require` of its triggers have fired (any, all, or a number of them)."""

    type: Literal["compound"] = "compound"
    require: int | Literal["any", "all"]

    @model_validator(mode="after")
    def require_within_triggers(self) -> CompoundTrigger:
        if isinstance(self.require, int):
            if self.require < 1:
                raise ValueError("require must be at least 1")
            if self.require > len(self.triggers):
                raise ValueError("require must be less than or equal to the number of triggers")
        return self

    @property
    def required_firings(self) -> int:
        if self.require == "any":
            return 1
        if self.require == "all":
            return len(self.triggers)
        return self.require


class SequenceTrigger(CompositeTrigger):
    """Fires when its triggers have fired in the order they are listed."""

    type: Literal["sequence"] = "sequence"


def trigger_type(value: Any) -> str | None:
    """The union's tag: `type`, "event" when it is left out (the server's default)."""
    if isinstance(value, dict):
        kind = value.get("type", "event")
        return kind if isinstance(kind, str) else None
    return getattr(value, "type", None)


TriggerSpec = Annotated[
    Annotated[EventTrigger, Tag("event")]
    | Annotated[CompoundTrigger, Tag("compound")]
    | Annotated[SequenceTrigger, Tag("sequence")],
    Discriminator(
        trigger_type,
        custom_error_type="unsupported_trigger_type",
        custom_error_message="Unsupported trigger type: expected 'event', 'compound' or "
        "'sequence' (metric triggers are a Prefect Cloud feature)",
    ),
]

CompositeTrigger.model_rebuild()
CompoundTrigger.model_rebuild()
SequenceTrigger.model_rebuild()

triggers: TypeAdapter[EventTrigger | CompoundTrigger | SequenceTrigger] = TypeAdapter(TriggerSpec)


def parse_trigger(data: Any) -> EventTrigger | CompoundTrigger | SequenceTrigger:
    """A stored or received trigger's JSON as its schema class; raises ValidationError."""
    return triggers.validate_python(data)
