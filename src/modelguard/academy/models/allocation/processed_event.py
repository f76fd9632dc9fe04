"""ProcessedEvent: an event id a handler has applied. The unique index makes redelivery harmless."""

from datetime import UTC, datetime

from mongoengine import fields

from modelguard import Schema, registry

ProcessedEventSchema = Schema(
    {
        "event_id": fields.StringField(required=True, unique=True, max_length=64),
        "handler": fields.StringField(required=True, max_length=100),
        "processed_at": fields.DateTimeField(default=lambda: datetime.now(UTC)),
    },
    collection="processed_events",
)

ProcessedEvent = registry.models.get("ProcessedEvent") or registry.model(
    "ProcessedEvent", ProcessedEventSchema
)
