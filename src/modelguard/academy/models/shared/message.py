"""Message: a direct message between two users, shared by every service."""

from datetime import UTC, datetime

from mongoengine import fields

from modelguard import Schema, registry

MessageSchema = Schema(
    {
        "sender_id": fields.ObjectIdField(required=True),
        "recipient_id": fields.ObjectIdField(required=True),
        "body": fields.StringField(required=True, max_length=4000),
        "read": fields.BooleanField(default=False),
        "sent_at": fields.DateTimeField(default=lambda: datetime.now(UTC)),
    },
    collection="messages",
    indexes=[("recipient_id", "-sent_at")],
)

Message = registry.models.get("Message") or registry.model("Message", MessageSchema)
