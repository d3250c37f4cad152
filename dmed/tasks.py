from celery import shared_task

from dmed import partitions
from dmed.api import tokens


@shared_task(name="dmed.tasks.delete_ended_api_tokens")
def delete_ended_api_tokens() -> int:
    return tokens.delete_ended_tokens()


@shared_task(name="dmed.tasks.maintain_partitions")
def maintain_partitions() -> dict:
    report = partitions.maintain_partitions()
    return {"created": report.created, "dropped": report.dropped}
