"""Analytics: one tracked product event, such as a course page view."""

from datetime import UTC, datetime

from mongoengine import fields

from modelguard import Schema, registry

AnalyticsSchema = Schema(
    {
        "name": fields.StringField(required=True, max_length=100),
        "user_id": fields.ObjectIdField(),
        "properties": fields.DictField(),
        "occurred_at": fields.DateTimeField(default=lambda: datetime.now(UTC)),
    },
    collection="analytics",
    indexes=["name", "-occurred_at"],
)

Analytics = registry.models.get("Analytics") or registry.model("Analytics", AnalyticsSchema)
