"""The Celery app takes its configuration from settings: the rules of Background work."""

from dmed.celery import app


def test_tasks_are_acknowledged_late_json_only_and_time_limited(settings):
    conf = app.conf
    assert conf.broker_url == settings.CELERY_BROKER_URL
    assert conf.task_acks_late is True
    assert conf.task_reject_on_worker_lost is True
    assert conf.worker_prefetch_multiplier == 1
    assert conf.accept_content == ["json"] and conf.task_serializer == "json"
    assert 0 < conf.task_soft_time_limit < conf.task_time_limit
    assert conf.timezone == "Asia/Tashkent"
    assert conf.beat_schedule == settings.CELERY_BEAT_SCHEDULE
    # A task held longer than this is handed to another worker: tasks stay far shorter.
    assert conf.broker_transport_options["visibility_timeout"] > conf.task_time_limit


def test_a_pickled_message_is_refused(settings):
    assert "pickle" not in app.conf.accept_content
