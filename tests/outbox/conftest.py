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


def real_queries(captured) -> list[str]:
    """The statements a worker sends outside tests, from CaptureQueriesContext: the test's
    own transaction turns each atomic block into SAVEPOINT/RELEASE, which a worker runs as
    BEGIN/COMMIT around its queries."""
    return [q["sql"] for q in captured
            if not q["sql"].startswith(("SAVEPOINT", "RELEASE SAVEPOINT", "ROLLBACK TO"))]


@pytest.fixture
def recording_consumer():
    handle = RecordingConsumer()
    registry.consumer("test-recorder", kinds=[PRESCRIPTION_ISSUED, PRESCRIPTION_CANCELLED],
                      targets=lambda event: event.payload.get("recipients", [""]))(handle)
    yield handle
    registry.unregister("test-recorder")
