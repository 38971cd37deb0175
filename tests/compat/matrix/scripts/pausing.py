"""Matrix actions: pausing a flow run, resuming it with or without input, and sending input.

A second thread plays the user: it waits for the run to be PAUSED, then resumes it.
"""

import asyncio
import threading
import time

from prefect import flow, pause_flow_run
from prefect.client.orchestration import get_client
from prefect.flow_runs import resume_flow_run
from prefect.input.run_input import receive_input, send_input
from prefect.runtime import flow_run as current_run
from recording import action, run_actions
from running import ran

#: Seconds the user thread waits for the run to pause.
PAUSE_DEADLINE_SECONDS = 60

#: The id of the flow run being paused, once it has started.
RUN_IDS: list[str] = []


def resume_when_paused(run_input: dict[str, object] | None) -> None:
    """Resume the paused run once the server shows it PAUSED."""

    async def go() -> None:
        deadline = time.monotonic() + PAUSE_DEADLINE_SECONDS
        async with get_client() as client:
            while time.monotonic() < deadline:
                if RUN_IDS:
                    run = await client.read_flow_run(RUN_IDS[0])
                    if run.state and run.state.is_paused():
                        await resume_flow_run(RUN_IDS[0], run_input=run_input)
                        return
                await asyncio.sleep(0.2)  # polling interval, bounded by the deadline

    asyncio.run(go())


@flow(name="mx-paused")
def paused() -> str:
    RUN_IDS.append(str(current_run.id))
    pause_flow_run(timeout=PAUSE_DEADLINE_SECONDS)
    return "resumed"


@flow(name="mx-paused-for-input")
def paused_for_input() -> str:
    RUN_IDS.append(str(current_run.id))
    return pause_flow_run(wait_for_input=str, timeout=PAUSE_DEADLINE_SECONDS)


@flow(name="mx-receiver")
def receiver() -> list[int]:
    own_id = current_run.id
    send_input(1, flow_run_id=own_id)
    send_input(2, flow_run_id=own_id)
    received = []
    for number in receive_input(int, timeout=30):
        received.append(number)
        if len(received) == 2:
            break
    return received


def paused_run(target, run_input):  # type: ignore[no-untyped-def]
    """Run `target`, which pauses, while the user thread resumes it."""
    RUN_IDS.clear()
    user = threading.Thread(target=resume_when_paused, args=(run_input,), daemon=True)
    user.start()
    seen = ran(target)
    user.join(timeout=PAUSE_DEADLINE_SECONDS)
    return seen


@action("pause-then-resume")
def pause_then_resume() -> object:
    return paused_run(paused, None)


@action("pause-with-input")
def pause_with_input() -> object:
    return paused_run(paused_for_input, {"value": "typed"})


@action("send-and-receive-input")
def send_and_receive_input() -> object:
    return ran(receiver)


if __name__ == "__main__":
    run_actions()
