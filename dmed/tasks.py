from celery import shared_task

from dmed.api import tokens


@shared_task(name="dmed.tasks.delete_ended_api_tokens")
def delete_ended_api_tokens() -> int:
    return tokens.delete_ended_tokens()
