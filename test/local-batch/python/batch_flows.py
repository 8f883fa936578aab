"""The flows a Python user of Azure Batch runs, through the real azure-batch 11.0.0 SDK, against any Batch endpoint.

Driven by test/local-batch/sdk-python.test.ts: it reads one JSON object on stdin (endpoint, account, key, ids and the
SAS URLs the test made in Azurite), then picks a verified Ubuntu image, creates a pool with it and a job, adds the
tasks with one add_collection call (the SDK splits it into requests of at most 100), waits by listing the tasks
(pages of 100) until all are completed, reads each task's stdout.txt, lists the failed ones with a $filter,
terminates and deletes the job, deletes the pool and waits until both are gone.
It prints one JSON object on stdout with what it saw; the test asserts on it. Nothing here checks the service: a
failed call raises, and the traceback names the operation.
"""
import json
import sys
import time

import azure.batch.models as batchmodels
from azure.batch import BatchServiceClient
from azure.batch.batch_auth import SharedKeyCredentials


def wait_until(what, check, timeout_s, interval_s=0.25):
    """Polls `check` (each call is a request) until it returns something truthy; Batch has no events to await."""
    deadline = time.monotonic() + timeout_s
    rounds = 0
    while True:
        rounds += 1
        value = check()
        if value:
            return value, rounds
        if time.monotonic() > deadline:
            raise TimeoutError(f"timed out after {timeout_s} s waiting for {what}")
        time.sleep(interval_s)


def pick_ubuntu_image(client):
    """The newest verified Canonical Ubuntu image the account supports, as quickstarts pick one."""
    options = batchmodels.AccountListSupportedImagesOptions(filter="osType eq 'linux' and verificationType eq 'verified'")
    images = [
        image for image in client.account.list_supported_images(account_list_supported_images_options=options)
        if image.image_reference.publisher.lower() == "canonical" and image.node_agent_sku_id.startswith("batch.node.ubuntu")
    ]
    if not images:
        raise RuntimeError("the account lists no verified Ubuntu image")
    return max(images, key=lambda image: image.node_agent_sku_id)


def task_parameters(spec, index, input_url):
    """One task as the SPC client writes them: resource files by SAS URL, outputs to a container SAS, admin auto-user."""
    task_id = f"task-{index:03d}"
    return batchmodels.TaskAddParameter(
        id=task_id,
        command_line="/bin/bash run.sh",
        resource_files=[
            batchmodels.ResourceFile(http_url=spec["scriptUrl"], file_path="run.sh"),
            batchmodels.ResourceFile(http_url=input_url, file_path="input.txt"),
        ],
        output_files=[
            batchmodels.OutputFile(
                file_pattern="out/*.txt",
                destination=batchmodels.OutputFileDestination(
                    container=batchmodels.OutputFileBlobContainerDestination(container_url=spec["outputContainerUrl"], path="results")),
                upload_options=batchmodels.OutputFileUploadOptions(upload_condition=batchmodels.OutputFileUploadCondition.task_success)),
            batchmodels.OutputFile(
                file_pattern="../stdout.txt",
                destination=batchmodels.OutputFileDestination(
                    container=batchmodels.OutputFileBlobContainerDestination(container_url=spec["outputContainerUrl"], path=f"logs/{task_id}/stdout.txt")),
                upload_options=batchmodels.OutputFileUploadOptions(upload_condition=batchmodels.OutputFileUploadCondition.task_completion)),
        ],
        user_identity=batchmodels.UserIdentity(
            auto_user=batchmodels.AutoUserSpecification(scope=batchmodels.AutoUserScope.task, elevation_level=batchmodels.ElevationLevel.admin)),
    )


def completed_tasks(client, job_id):
    """Every task of the job when all are completed, else None; in pages of 100, which the SDK walks by odata.nextLink."""
    options = batchmodels.TaskListOptions(select="id,state,executionInfo", max_results=100)
    tasks = list(client.task.list(job_id, task_list_options=options))
    return tasks if all(task.state == batchmodels.TaskState.completed for task in tasks) else None


def failed_task_ids(client, job_id):
    """The documented filter for tasks that exited non-zero (the SDK percent-encodes its parentheses)."""
    options = batchmodels.TaskListOptions(filter="(executionInfo/exitCode lt 0) or (executionInfo/exitCode gt 0)", select="id")
    return [task.id for task in client.task.list(job_id, task_list_options=options)]


def read_stdout(client, job_id, task_id):
    return b"".join(client.file.get_from_task(job_id, task_id, "stdout.txt")).decode("utf-8")


def is_gone(get):
    """Whether `get` raises the Batch 404 of a deleted entity (JobNotFound, PoolNotFound)."""
    try:
        get()
        return False
    except batchmodels.BatchErrorException as error:
        if error.error.code in ("JobNotFound", "PoolNotFound"):
            return True
        raise


def main():
    spec = json.load(sys.stdin)
    client = BatchServiceClient(SharedKeyCredentials(spec["accountName"], spec["accountKey"]), batch_url=spec["batchUrl"])
    job_id, pool_id = spec["jobId"], spec["poolId"]
    started = time.monotonic()
    timings = {}

    def elapsed_ms():
        return round((time.monotonic() - started) * 1000)

    image = pick_ubuntu_image(client)
    client.pool.add(batchmodels.PoolAddParameter(
        id=pool_id,
        vm_size=spec["vmSize"],
        virtual_machine_configuration=batchmodels.VirtualMachineConfiguration(
            image_reference=image.image_reference, node_agent_sku_id=image.node_agent_sku_id),
        target_dedicated_nodes=spec["nodes"],
        task_slots_per_node=spec["slotsPerNode"],
    ))
    client.job.add(batchmodels.JobAddParameter(id=job_id, pool_info=batchmodels.PoolInformation(pool_id=pool_id)))

    tasks = [task_parameters(spec, index, url) for index, url in enumerate(spec["inputUrls"])]
    added = client.task.add_collection(job_id, tasks)
    timings["added"] = elapsed_ms()

    listed, poll_rounds = wait_until("every task completed", lambda: completed_tasks(client, job_id), spec["timeoutSeconds"])
    timings["completed"] = elapsed_ms()

    results = [{
        "id": task.id,
        "state": task.state.value,
        "exitCode": task.execution_info.exit_code,
        "result": task.execution_info.result.value if task.execution_info.result else None,
        "failureCode": task.execution_info.failure_info.code if task.execution_info.failure_info else None,
        "stdout": read_stdout(client, job_id, task.id),
    } for task in listed]
    failed = failed_task_ids(client, job_id)
    timings["read"] = elapsed_ms()

    client.job.terminate(job_id)
    client.job.delete(job_id)
    client.pool.delete(pool_id)
    wait_until("the job gone", lambda: is_gone(lambda: client.job.get(job_id)), spec["timeoutSeconds"])
    wait_until("the pool gone", lambda: not client.pool.exists(pool_id), spec["timeoutSeconds"])
    timings["deleted"] = elapsed_ms()

    json.dump({
        "image": {"nodeAgentSkuId": image.node_agent_sku_id, "offer": image.image_reference.offer},
        "addStatuses": sorted({r.status.value for r in added.value}),
        "addedCount": len(added.value),
        "pollRounds": poll_rounds,
        "tasks": results,
        "failedListed": failed,
        "jobGone": is_gone(lambda: client.job.get(job_id)),
        "poolExists": client.pool.exists(pool_id),
        "timingsMs": timings,
    }, sys.stdout)


if __name__ == "__main__":
    main()
