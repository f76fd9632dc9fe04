"""DoubtReply: an answer to a doubt, from a trainer or another student."""

from datetime import UTC, datetime

from mongoengine import fields

from modelguard import Schema, registry

DoubtReplySchema = Schema(
    {
        "doubt_id": fields.ObjectIdField(required=True),
        "author_id": fields.ObjectIdField(required=True),
        "body": fields.StringField(required=True, max_length=4000),
        "accepted": fields.BooleanField(default=False),
        "replied_at": fields.DateTimeField(default=lambda: datetime.now(UTC)),
    },
    collection="doubt_replies",
    indexes=["doubt_id"],
)

DoubtReply = registry.models.get("DoubtReply") or registry.model("DoubtReply", DoubtReplySchema)
