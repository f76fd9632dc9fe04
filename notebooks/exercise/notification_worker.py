"""The notification worker: tells each buyer that the course they bought is ready.

It reads the platform's PURCHASE_CREATED events in a consumer group of its own,
next to the allocation worker, and hands each one to the NotificationService.
Like every worker of the platform it is started once per process with
`initialize()`, then `handle(event, attempt)` is called for every delivery of an
event, retries included (`attempt` is 1, 2, ... 5).
"""

import functools
import importlib

from . import notifications


def fresh_service_on_retry(handler):
    """A retry starts from a freshly imported service module, so that nothing a
    failed attempt left behind (a broken connection, a stale lookup) can spoil it."""

    @functools.wraps(handler)
    def retry_with_a_fresh_service(worker, event, attempt=1):
        if attempt > 1:
            importlib.reload(notifications)
            worker.service = notifications.NotificationService()
        return handler(worker, event, attempt)

    return retry_with_a_fresh_service


class NotificationWorker:
    def __init__(self) -> None:
        self.service = None

    def initialize(self) -> None:
        self.service = notifications.NotificationService()

    @fresh_service_on_retry
    def handle(self, event, attempt=1):
        if self.service is None:
            raise RuntimeError("NotificationWorker not initialized")
        told = self.service.notify(
            purchase_id=event.purchase_id,
            user_id=event.user_id,
            course_id=event.course_id,
            event_id=event.event_id,
        )
        return "notified" if told else "duplicate"
