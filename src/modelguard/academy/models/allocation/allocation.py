"""Allocation: the trainer assigned to one purchase. One per purchase, enforced by the database."""

from datetime import UTC, datetime

from mongoengine import fields

from modelguard import Schema, registry

AllocationSchema = Schema(
    {
        "purchase_id": fields.StringField(required=True, unique=True, max_length=64),
        "user_id": fields.StringField(required=True, max_length=64),
        "course_id": fields.StringField(required=True, max_length=64),
        "trainer_id": fields.ObjectIdField(required=True),
        "event_id": fields.StringField(required=True, max_length=64),
        "allocated_at": fields.DateTimeField(default=lambda: datetime.now(UTC)),
    },
    collection="allocations",
    indexes=["trainer_id"],
)

Allocation = registry.models.get("Allocation") or registry.model("Allocation", AllocationSchema)
