import threading

from django.db import connections


def run_at_once(work, count: int) -> list:
    """Run `work(i)` in `count` threads released together, one connection each (closed
    after). Returns each thread's outcome: what `work` returned, or the exception it
    raised, for the test to count."""
    barrier = threading.Barrier(count)
    outcomes: list = [None] * count

    def run(index):
        try:
            barrier.wait()
            outcomes[index] = work(index)
        except Exception as error:  # noqa: BLE001 — every outcome is counted by the test
            outcomes[index] = error
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return outcomes


def raised(outcomes: list) -> list[Exception]:
    return [outcome for outcome in outcomes if isinstance(outcome, Exception)]
