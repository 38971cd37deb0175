"""What Prefect's server checks of a `run-deployment` action before it stores an automation:
the job variables it gives a selected deployment's runs.

Such an action creates a flow run of the deployment, so its job variables must pass the
variables schema of the deployment's work pool, and the deployment must exist. Required
variables are not insisted on: the pool's defaults and the deployment's own job variables
may still give them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from models.coordination.deployments import read_deployment
from models.coordination.parameter_schemas import check_job_variables
from models.coordination.work_pools import DEFAULT_AGENT_POOL_NAME, read_work_pool
from models.schemas.automation_actions import RunDeployment

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession

    from models.schemas.automations import AutomationCore


async def check_run_deployment_job_variables(
    session: AsyncSession, automation: AutomationCore, *, replacing: bool
) -> None:
    """Raise ObjectNotFound (404) for a selected deployment that does not exist, or
    InvalidRequest (422) for job variables its work pool's schema refuses.

    As Prefect's server: only the automation's `actions`, only when job variables are given
    (an empty mapping counts as given on replace, not on create).
    """
    for action in automation.actions:
        if not isinstance(action, RunDeployment) or action.deployment_id is None:
            continue
        if action.job_variables is None or (not action.job_variables and not replacing):
            continue
        deployment = await read_deployment(session, action.deployment_id)
        pool_name = deployment.work_pool_name
        if not pool_name or pool_name == DEFAULT_AGENT_POOL_NAME:
            continue
        pool = await read_work_pool(session, pool_name)
        check_job_variables(
            action.job_variables, pool.base_job_template, "Error creating automation"
        )
