"""Compat scenario: hold two slots of a limit under a short lease until killed.

Run by the Prefect virtualenv's python, with the limit's name and the lease duration as
arguments. Prints `HOLDING` once the slots are held, then keeps them (renewing the lease)
until the test kills the process: its slots must come back through lease expiry.
"""

import sys
import time

from prefect.concurrency.sync import concurrency


def main() -> None:
    name, lease_seconds = sys.argv[1], float(sys.argv[2])
    with concurrency(name, occupy=2, lease_duration=lease_seconds, strict=True):
        print("HOLDING", flush=True)
        time.sleep(600)  # held until killed; the test never lets this run out


if __name__ == "__main__":
    main()
