"""DeviceToken: a push-notification token of one of a user's devices."""

from mongoengine import fields

from modelguard import Schema, registry

DeviceTokenSchema = Schema(
    {
        "user_id": fields.ObjectIdField(required=True),
        "token": fields.StringField(required=True, unique=True),
        "platform": fields.StringField(required=True, choices=("ios", "android", "web")),
        "last_seen_at": fields.DateTimeField(),
    },
    collection="device_tokens",
    indexes=["user_id"],
)

DeviceToken = registry.models.get("DeviceToken") or registry.model("DeviceToken", DeviceTokenSchema)
