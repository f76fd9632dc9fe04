"""Notification: something a user should see, in the app or as a push."""

from datetime import UTC, datetime

from mongoengine import fields

from modelguard import Schema, registry

NotificationSchema = Schema(
    {
        "user_id": fields.ObjectIdField(required=True),
        "kind": fields.StringField(required=True, max_length=60),
        "title": fields.StringField(required=True, max_length=200),
        "data": fields.DictField(),
        "read_at": fields.DateTimeField(),
        "created_at": fields.DateTimeField(default=lambda: datetime.now(UTC)),
    },
    collection="notifications",
    indexes=[("user_id", "-created_at")],
)

Notification = registry.models.get("Notification") or registry.model(
    "Notification", NotificationSchema
)
