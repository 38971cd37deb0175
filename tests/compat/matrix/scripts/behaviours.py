"""Matrix actions: retries, timeouts, state hooks, caching and subflows."""

import time
from datetime import timedelta

from prefect import flow, task
from prefect.cache_policies import INPUTS, NO_CACHE
from recording import action, run_actions
from running import ran

#: What the hooks saw, by hook name: the hooks run in this process.
HOOKS: list[str] = []
ATTEMPTS: dict[str, int] = {}


def attempt(key: str) -> int:
    ATTEMPTS[key] = ATTEMPTS.get(key, 0) + 1
    return ATTEMPTS[key]


def hook(name: str):  # type: ignore[no-untyped-def]
    def record(*_: object) -> None:
        HOOKS.append(name)

    return record


@task(retries=2, retry_delay_seconds=0)
def flaky_task() -> str:
    if attempt("flaky_task") < 2:
        raise ValueError("first attempt fails")
    return "ok"


@task(retries=1, retry_delay_seconds=0)
def always_fails() -> None:
    attempt("always_fails")
    raise ValueError("always")


@task(retries=1, retry_delay_seconds=1)
def delayed_retry() -> str:
    if attempt("delayed_retry") < 2:
        raise ValueError("first attempt fails")
    return "ok"


@task(retries=3, retry_condition_fn=lambda *_: False)
def not_retried() -> None:
    attempt("not_retried")
    raise ValueError("no retry wanted")


@task(timeout_seconds=0.5)
def slow_task() -> None:
    time.sleep(5)


@task(on_completion=[hook("task-completed")], on_failure=[hook("task-failed")])
def hooked_task(fail: bool) -> None:
    if fail:
        raise ValueError("hooked task fails")


@task(cache_key_fn=lambda *_: "mx-fixed-key", cache_expiration=timedelta(hours=1))
def keyed(x: int) -> int:
    return x + attempt("keyed")


@task(cache_policy=INPUTS)
def by_inputs(x: int) -> int:
    return x * 10 + attempt("by_inputs")


@task(cache_policy=INPUTS, refresh_cache=True)
def refreshed(x: int) -> int:
    return x * 10 + attempt("refreshed")


@task(cache_policy=NO_CACHE)
def uncached(x: int) -> int:
    return x * 10 + attempt("uncached")


@flow(name="mx-task-retries")
def task_retries() -> str:
    return flaky_task()


@flow(name="mx-task-retries-exhausted")
def task_retries_exhausted() -> None:
    always_fails()


@flow(name="mx-task-retry-delay")
def task_retry_delay() -> str:
    return delayed_retry()


@flow(name="mx-task-retry-condition")
def task_retry_condition() -> None:
    not_retried()


@flow(name="mx-flow-retries", retries=1, retry_delay_seconds=0)
def flow_retries() -> str:
    if attempt("flow_retries") < 2:
        raise ValueError("first flow attempt fails")
    return "ok"


@flow(name="mx-flow-retries-exhausted", retries=1, retry_delay_seconds=0)
def flow_retries_exhausted() -> None:
    attempt("flow_retries_exhausted")
    raise ValueError("always")


@flow(name="mx-flow-timeout", timeout_seconds=1)
def flow_timeout() -> None:
    time.sleep(10)


@flow(name="mx-task-timeout")
def task_timeout() -> None:
    slow_task()


@flow(name="mx-hooks-completed", on_completion=[hook("flow-completed")])
def hooks_completed() -> None:
    hooked_task(False)


@flow(name="mx-hooks-failed", on_failure=[hook("flow-failed")])
def hooks_failed() -> None:
    hooked_task(True)


@flow(name="mx-hooks-running", on_running=[hook("flow-running")])
def hooks_running() -> None:
    pass


@flow(name="mx-cache-key")
def cache_key() -> list[int]:
    return [keyed(1), keyed(2)]


@flow(name="mx-cache-inputs")
def cache_inputs() -> list[int]:
    return [by_inputs(1), by_inputs(1), by_inputs(2)]


@flow(name="mx-cache-refresh")
def cache_refresh() -> list[int]:
    return [refreshed(1), refreshed(1)]


@flow(name="mx-no-cache")
def no_cache() -> list[int]:
    return [uncached(1), uncached(1)]


@flow(name="mx-child")
def child(x: int) -> int:
    return double_it(x)


@task
def double_it(x: int) -> int:
    return 2 * x


@flow(name="mx-failing-child")
def failing_child() -> None:
    raise ValueError("child fails")


@flow(name="mx-parent")
def parent() -> int:
    return child(1) + child(2)


@flow(name="mx-parent-of-failing")
def parent_of_failing() -> None:
    failing_child()


@flow(name="mx-parent-return-state")
def parent_return_state() -> str:
    return failing_child(return_state=True).type.value


@flow(name="mx-grandparent")
def grandparent() -> int:
    return parent()


def with_hooks(seen: dict[str, object]) -> dict[str, object]:
    """The run's result with the hooks that fired during it (then forgotten)."""
    seen["hooks"] = sorted(HOOKS)
    HOOKS.clear()
    return seen


@action("task-retries")
def task_retries_action() -> object:
    return ran(task_retries)


@action("task-retries-exhausted")
def task_retries_exhausted_action() -> object:
    return ran(task_retries_exhausted)


@action("task-retry-delay")
def task_retry_delay_action() -> object:
    return ran(task_retry_delay)


@action("task-retry-condition-fn")
def task_retry_condition_action() -> object:
    return {**ran(task_retry_condition), "attempts": ATTEMPTS["not_retried"]}


@action("flow-retries")
def flow_retries_action() -> object:
    return ran(flow_retries)


@action("flow-retries-exhausted")
def flow_retries_exhausted_action() -> object:
    return {**ran(flow_retries_exhausted), "attempts": ATTEMPTS["flow_retries_exhausted"]}


@action("flow-timeout")
def flow_timeout_action() -> object:
    return ran(flow_timeout)


@action("task-timeout")
def task_timeout_action() -> object:
    return ran(task_timeout)


@action("hooks-on-completion")
def hooks_completed_action() -> object:
    return with_hooks(ran(hooks_completed))


@action("hooks-on-failure")
def hooks_failed_action() -> object:
    return with_hooks(ran(hooks_failed))


@action("hooks-on-running")
def hooks_running_action() -> object:
    return with_hooks(ran(hooks_running))


@action("cache-key-fn")
def cache_key_action() -> object:
    return ran(cache_key)


@action("cache-policy-inputs")
def cache_inputs_action() -> object:
    return ran(cache_inputs)


@action("cache-refresh")
def cache_refresh_action() -> object:
    return ran(cache_refresh)


@action("cache-policy-none")
def no_cache_action() -> object:
    return ran(no_cache)


@action("subflow-calls")
def subflow_action() -> object:
    return ran(parent)


@action("subflow-fails-parent")
def subflow_fails_action() -> object:
    return ran(parent_of_failing)


@action("subflow-return-state")
def subflow_return_state_action() -> object:
    return ran(parent_return_state)


@action("subflow-nested")
def subflow_nested_action() -> object:
    return ran(grandparent)


if __name__ == "__main__":
    run_actions()
