import pytest

from outbox import registry
from outbox.kinds import PRESCRIPTION_CANCELLED, PRESCRIPTION_ISSUED


class RecordingConsumer:
    """A consumer whose handling is a list of (event, target) it was called with, and
    which fails while `failures` is above zero."""

    def __init__(self):
        self.handled = []
        self.failures = 0
        self.defer_until = None

    def __call__(self, event, target):
        if self.defer_until is not None:
            raise registry.Defer(self.defer_until, "quiet hours")
        if self.failures:
            self.failures -= 1
            raise ConnectionError("provider answered 500")
        self.handled.append((event.pk, target))


@pytest.fixture
def recording_consumer():
    handle = RecordingConsumer()
    registry.consumer("test-recorder", kinds=[PRESCRIPTION_ISSUED, PRESCRIPTION_CANCELLED],
                      targets=lambda event: event.payload.get("recipients", [""]))(handle)
    yield handle
    registry.unregister("test-recorder")
