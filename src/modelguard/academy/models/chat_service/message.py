"""ChatMessage: a message in a course's chat room (the chat service's "message").

It is not the shared `Message`: it belongs to a room, may answer a doubt and
carries attachments. Registering it as "Message" would let the guard hand the
chat service the shared schema, so it has a name and a collection of its own.
"""

from datetime import UTC, datetime

from mongoengine import fields

from modelguard import Schema, registry

ChatMessageSchema = Schema(
    {
        "room_id": fields.ObjectIdField(required=True),
        "sender_id": fields.ObjectIdField(required=True),
        "body": fields.StringField(required=True, max_length=4000),
        "doubt_id": fields.ObjectIdField(),
        "attachment_ids": fields.ListField(fields.ObjectIdField(), default=list),
        "sent_at": fields.DateTimeField(default=lambda: datetime.now(UTC)),
    },
    collection="chat_messages",
    indexes=[("room_id", "sent_at")],
)

ChatMessage = registry.models.get("ChatMessage") or registry.model("ChatMessage", ChatMessageSchema)
