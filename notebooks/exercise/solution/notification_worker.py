"""The notification worker: tells each buyer that the course they bought is ready.

It reads the platform's PURCHASE_CREATED events in a consumer group of its own,
next to the allocation worker, and hands each one to the NotificationService.
Like every worker of the platform it is started once per process with
`initialize()`, then `handle(event, attempt)` is called for every delivery of an
event, retries included (`attempt` is 1, 2, ... 5).

The service is built once, at start-up, and every attempt reuses it. A retry
needs no fresh module: the service keeps no state between calls, and the
database client reconnects by itself.
"""

from . import notifications


class NotificationWorker:
    def __init__(self) -> None:
        self.service = None

    def initialize(self) -> None:
        if self.service is None:
            self.service = notifications.NotificationService()

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
