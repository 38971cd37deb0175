"""Compat scenario: Variable set, get, overwrite and unset, outside a flow and inside one.

Run by the Prefect virtualenv's python. Mirrors the recorded scenario (d). Prints
`RESULT {json}` with every value read back and the error a second set without overwrite gave.
"""

import json

from prefect import flow
from prefect.variables import Variable


@flow(name="compat-variables")
def variables() -> dict[str, object]:
    Variable.set("myvar", {"a": 1, "b": [1, 2]}, tags=["t1"])
    first = Variable.get("myvar")
    Variable.set("myvar", "overwritten", overwrite=True)
    second = Variable.get("myvar")
    missing = Variable.get("does_not_exist", default="dflt")
    Variable.unset("myvar")
    after_unset = Variable.get("myvar", default="gone")
    return {"first": first, "second": second, "missing": missing, "after_unset": after_unset}


def main() -> None:
    Variable.set("outside_flow", 42)
    outside = Variable.get("outside_flow")
    try:
        Variable.set("outside_flow", 43)
        set_again = None
    except ValueError as exc:
        set_again = type(exc).__name__
    value, raised = None, None
    try:
        value = variables()
    except Exception as exc:
        raised = f"{type(exc).__name__}: {exc}"
    result = {"outside": outside, "set_again": set_again, "in_flow": value, "raised": raised}
    print("RESULT " + json.dumps(result), flush=True)


if __name__ == "__main__":
    main()
