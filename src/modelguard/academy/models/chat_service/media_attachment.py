"""MediaAttachment: a file attached to a chat message."""

from mongoengine import fields

from modelguard import Schema, registry

MediaAttachmentSchema = Schema(
    {
        "uploader_id": fields.ObjectIdField(required=True),
        "url": fields.URLField(required=True),
        "mime_type": fields.StringField(required=True, max_length=100),
        "size_bytes": fields.IntField(min_value=0, required=True),
    },
    collection="media_attachments",
)

MediaAttachment = registry.models.get("MediaAttachment") or registry.model(
    "MediaAttachment", MediaAttachmentSchema
)
