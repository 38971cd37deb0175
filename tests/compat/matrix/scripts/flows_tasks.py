"""Matrix actions: flows and tasks, their names, parameters, states, tags and logs."""

import asyncio

from prefect import flow, get_run_logger, tags, task
from prefect.states import Completed, Failed
from recording import action, run_actions
from running import ran


@task
def double(x: int) -> int:
    return 2 * x


@task(task_run_name="square-of-{x}", tags=["mx-task-tag"])
def square(x: int) -> int:
    return x * x


@task
def explode() -> None:
    raise RuntimeError("task boom")


@task
def log_in_task() -> None:
    get_run_logger().info("mx task says hello")


@task
async def async_double(x: int) -> int:
    return 2 * x


@flow(name="mx-returns")
def returns() -> int:
    return 42


@flow(name="mx-parameters")
def parameters(x: int, label: str = "dflt") -> str:
    return f"{label}-{x}"


@flow(name="mx-named", flow_run_name="mx-run-{x}")
def named(x: int) -> int:
    return x


@flow(name="mx-raises")
def raises() -> None:
    raise ValueError("flow boom")


@flow(name="mx-returns-failed")
def returns_failed() -> object:
    return Failed(message="chosen failure")


@flow(name="mx-returns-completed")
def returns_completed() -> object:
    return Completed(message="all done")


@flow(name="mx-versioned", version="v9", description="a versioned flow")
def versioned() -> str:
    return "v"


@flow(name="mx-log-prints", log_prints=True)
def log_prints() -> None:
    print("mx printed line")


@flow(name="mx-logger")
def logs() -> None:
    logger = get_run_logger()
    logger.warning("mx warning line")
    logger.error("mx error line")


@flow(name="mx-task-logger")
def task_logger() -> None:
    log_in_task()


@flow(name="mx-tagged")
def tagged() -> int:
    return double(1)


@flow(name="mx-async")
async def async_flow() -> int:
    return await async_double(21)


@flow(name="mx-task-call")
def task_call() -> int:
    return double(5)


@flow(name="mx-task-submit")
def task_submit() -> list[int]:
    futures = [double.submit(i) for i in range(3)]
    return [future.result() for future in futures]


@flow(name="mx-task-map")
def task_map() -> list[int]:
    return double.map([1, 2, 3, 4]).result()


@flow(name="mx-task-fails")
def task_fails() -> None:
    explode()


@flow(name="mx-task-return-state")
def task_return_state() -> str:
    return explode(return_state=True).type.value


@flow(name="mx-task-named")
def task_named() -> int:
    return square(4)


@flow(name="mx-task-wait-for")
def task_wait_for() -> int:
    first = double.submit(1)
    second = double.submit(2, wait_for=[first])
    return second.result()


@flow(name="mx-task-with-options")
def task_with_options() -> int:
    return double.with_options(name="mx-renamed", tags=["mx-opt"])(3)


@flow(name="mx-task-upstream")
def task_upstream() -> int:
    return double.submit(double.submit(1)).result()


@action("flow-returns-value")
def flow_returns_value() -> object:
    return ran(returns)


@action("flow-parameters")
def flow_parameters() -> object:
    return ran(parameters, 7, label="mx")


@action("flow-run-name-template")
def flow_run_name_template() -> object:
    return ran(named, 3)


@action("flow-raises")
def flow_raises() -> object:
    return ran(raises)


@action("flow-returns-failed-state")
def flow_returns_failed_state() -> object:
    return ran(returns_failed)


@action("flow-returns-completed-state")
def flow_returns_completed_state() -> object:
    return ran(returns_completed)


@action("flow-version")
def flow_version() -> object:
    return ran(versioned)


@action("flow-with-options-run-name")
def flow_with_options_run_name() -> object:
    return ran(returns.with_options(flow_run_name="mx-chosen-name"))


@action("flow-log-prints")
def flow_log_prints() -> object:
    return ran(log_prints)


@action("flow-run-logger")
def flow_run_logger() -> object:
    return ran(logs)


@action("task-run-logger")
def task_run_logger() -> object:
    return ran(task_logger)


@action("flow-tags-context")
def flow_tags_context() -> object:
    with tags("mx-a", "mx-b"):
        return ran(tagged)


@action("flow-async")
def flow_async() -> object:
    state = asyncio.run(async_flow(return_state=True))
    return {"flow_run_id": str(state.state_details.flow_run_id), "value": state.result()}


@action("task-call")
def task_call_action() -> object:
    return ran(task_call)


@action("task-submit")
def task_submit_action() -> object:
    return ran(task_submit)


@action("task-map")
def task_map_action() -> object:
    return ran(task_map)


@action("task-fails")
def task_fails_action() -> object:
    return ran(task_fails)


@action("task-return-state")
def task_return_state_action() -> object:
    return ran(task_return_state)


@action("task-run-name-and-tags")
def task_named_action() -> object:
    return ran(task_named)


@action("task-wait-for")
def task_wait_for_action() -> object:
    return ran(task_wait_for)


@action("task-with-options")
def task_with_options_action() -> object:
    return ran(task_with_options)


@action("task-upstream-inputs")
def task_upstream_action() -> object:
    return ran(task_upstream)


@action("task-outside-flow")
def task_outside_flow() -> object:
    state = double(8, return_state=True)
    return {"task_run_id": str(state.state_details.task_run_id), "value": state.result()}


if __name__ == "__main__":
    run_actions()
