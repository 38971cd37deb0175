"""Compat script: a flow that receives two string inputs sent by another flow.

Prints `FLOW_RUN <id>` once it runs, then `RESULT {json}` with each message received (its
value and its sender) and the exception raised, if any.
"""

import json

from prefect import flow, runtime
from prefect.input import receive_input

#: Seconds the flow waits for its two messages.
RECEIVE_TIMEOUT_SECONDS = 90


@flow(name="compat-receiving-flow")
def receiving_flow() -> list[dict]:
    """Receive two messages, with their senders, in the order they were sent."""
    print(f"FLOW_RUN {runtime.flow_run.id}", flush=True)
    received = []
    for message in receive_input(
        str, timeout=RECEIVE_TIMEOUT_SECONDS, poll_interval=0.5, with_metadata=True
    ):
        received.append({"value": message.value, "sender": message.metadata.sender})
        if len(received) == 2:
            break
    return received


def main() -> None:
    """Run the flow and print the RESULT line."""
    value, raised = None, None
    try:
        value = receiving_flow()
    except Exception as exc:
        raised = f"{type(exc).__name__}: {exc}"
    print("RESULT " + json.dumps({"return_value": value, "raised": raised}), flush=True)


if __name__ == "__main__":
    main()
