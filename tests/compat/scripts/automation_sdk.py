"""Compat script: an automation's whole life through the SDK's `Automation` class.

`python automation_sdk.py <name>`. Creates an automation named <name>, reads it back by id
and by name, changes it with `.update()`, disables and enables it, deletes it twice, and tries
to read it once more. Prints `RESULT {json}` with what the client saw at each step.
"""

import json
import sys
from datetime import timedelta
from uuid import uuid4

from prefect.automations import Automation, EventTrigger, Posture
from prefect.events.actions import CancelFlowRun, DoNothing, PauseWorkQueue


def main() -> None:
    """Run the steps and print the RESULT line."""
    name = sys.argv[1]
    work_queue_id = uuid4()
    created = Automation(
        name=name,
        description="made by the SDK",
        trigger=EventTrigger(
            expect={"prefect.flow-run.Failed"},
            match={"prefect.resource.id": "prefect.flow-run.*"},
            match_related={"prefect.resource.role": "tag", "prefect.resource.id": "prefect.tag.db"},
            for_each={"prefect.resource.id"},
            posture=Posture.Reactive,
            threshold=2,
            within=timedelta(minutes=5),
        ),
        actions=[CancelFlowRun(), PauseWorkQueue(source="selected", work_queue_id=work_queue_id)],
        actions_on_trigger=[DoNothing()],
    ).create()
    by_id = Automation.read(id=created.id)
    read_by_id = by_id.model_dump(mode="json")
    read_by_name = Automation.read(name=name).model_dump(mode="json")

    by_id.description = "changed by the SDK"
    by_id.trigger.threshold = 3
    by_id.update()
    updated = Automation.read(id=created.id)

    disabled = updated.disable()
    paused = Automation.read(id=created.id).enabled
    enabled = updated.enable()
    resumed = Automation.read(id=created.id).enabled

    first_delete = updated.delete()
    second_delete = updated.delete()
    try:
        Automation.read(id=created.id)
        read_after_delete = "found"
    except ValueError as exc:
        read_after_delete = str(exc)
    try:
        Automation.read(name=name)
        read_by_name_after_delete = "found"
    except ValueError as exc:
        read_by_name_after_delete = str(exc)

    result = {
        "id": str(created.id),
        "work_queue_id": str(work_queue_id),
        "read_by_id": read_by_id,
        "read_by_name": read_by_name,
        "updated": updated.model_dump(mode="json"),
        "disable_returned": disabled,
        "paused_enabled": paused,
        "enable_returned": enabled,
        "resumed_enabled": resumed,
        "first_delete": first_delete,
        "second_delete": second_delete,
        "read_after_delete": read_after_delete,
        "read_by_name_after_delete": read_by_name_after_delete,
    }
    print("RESULT " + json.dumps(result))


if __name__ == "__main__":
    main()
