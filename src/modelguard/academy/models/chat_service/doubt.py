"""Doubt: a question a student raises in a course, for a trainer to answer."""

from datetime import UTC, datetime

from mongoengine import fields

from modelguard import Schema, registry

DoubtSchema = Schema(
    {
        "course_id": fields.ObjectIdField(required=True),
        "student_id": fields.ObjectIdField(required=True),
        "question": fields.StringField(required=True, max_length=4000),
        "status": fields.StringField(choices=("open", "answered", "closed"), default="open"),
        "asked_at": fields.DateTimeField(default=lambda: datetime.now(UTC)),
    },
    collection="doubts",
    indexes=[("course_id", "status")],
)

Doubt = registry.models.get("Doubt") or registry.model("Doubt", DoubtSchema)
