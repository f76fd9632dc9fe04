"""NotificationService: tells a buyer, once, that the course they bought is ready.

One push receipt per purchase: the unique index on `purchase_id` decides, so a
delivery of an event that was already handled stores nothing and pushes nothing.
"""

from datetime import UTC, datetime

from bson import ObjectId
from bson.errors import InvalidId
from mongoengine import fields
from mongoengine.errors import NotUniqueError

from modelguard import Schema, registry
from modelguard.academy.models import Course

PushReceiptSchema = Schema(
    {
        "purchase_id": fields.StringField(required=True, unique=True, max_length=64),
        "user_id": fields.StringField(required=True, max_length=64),
        "title": fields.StringField(required=True, max_length=200),
        "event_id": fields.StringField(required=True, max_length=64),
        "sent_at": fields.DateTimeField(default=lambda: datetime.now(UTC)),
    },
    collection="push_receipts",
)

# The guard: a second run of this file returns the model compiled by the first.
PushReceipt = registry.models.get("PushReceipt") or registry.model(
    "PushReceipt", PushReceiptSchema
)


class NotificationService:
    def __init__(self) -> None:
        # The unique index must exist before two deliveries of one purchase can race.
        PushReceipt.ensure_indexes()

    def notify(self, *, purchase_id: str, user_id: str, course_id: str, event_id: str) -> bool:
        """Push "your course is ready" to the buyer; False if this purchase was already told."""
        if PushReceipt.objects(purchase_id=purchase_id).first() is not None:
            return False
        receipt = PushReceipt(
            purchase_id=purchase_id,
            user_id=user_id,
            title=f"{self._course_title(course_id)} is ready for you",
            event_id=event_id,
        )
        try:
            receipt.save(force_insert=True)
        except NotUniqueError:  # a concurrent delivery of the same purchase got there first
            return False
        return True

    @staticmethod
    def _course_title(course_id: str) -> str:
        try:
            course = Course.objects(id=ObjectId(course_id)).first()
        except InvalidId:
            course = None
        return course.title if course is not None else "Your course"
