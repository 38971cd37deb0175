"""UI scenario for the notification and automation pages: an automation made with the client,
and a flow run tagged `ui-notifications` that fails.

Run by the Prefect virtualenv's python (prefect and the stdlib only) after the test made a
custom-webhook block and a policy on Failed runs tagged `ui-notifications`. Prints one last
line `RESULT {json}` with the automation's id and the failed flow run's.
"""

import json

from prefect import flow, runtime, tags
from prefect.automations import Automation, DoNothing, EventTrigger, Posture

FLOW_RUN_IDS: list[str] = []


@flow(name="ui-notifications-failing-flow")
def failing_flow() -> None:
    """Raise, so that the run ends Failed."""
    FLOW_RUN_IDS.append(runtime.flow_run.id)
    raise RuntimeError("ui-notifications: the flow failed on purpose")


def main() -> None:
    automation = Automation(
        name="ui-notifications-automation",
        description="Does nothing when a ui-notifications flow run fails.",
        trigger=EventTrigger(
            match={"prefect.resource.id": "prefect.flow-run.*"},
            expect={"prefect.flow-run.Failed"},
            posture=Posture.Reactive,
            threshold=1,
        ),
        actions=[DoNothing()],
    ).create()
    raised = None
    try:
        with tags("ui-notifications"):
            failing_flow()
    except RuntimeError as error:
        raised = str(error)
    result = {
        "automation_id": str(automation.id),
        "flow_run_id": FLOW_RUN_IDS[0] if FLOW_RUN_IDS else None,
        "raised": raised,
    }
    print("RESULT " + json.dumps(result), flush=True)


if __name__ == "__main__":
    main()
