"""Exam: a timed, graded assessment at the end of a course."""

from mongoengine import fields

from modelguard import Schema, registry

ExamSchema = Schema(
    {
        "course_id": fields.ObjectIdField(required=True),
        "title": fields.StringField(required=True, max_length=200),
        "duration_minutes": fields.IntField(min_value=1, required=True),
        "pass_mark": fields.FloatField(min_value=0, max_value=100, default=60),
        "scheduled_at": fields.DateTimeField(),
    },
    collection="exams",
    indexes=["course_id"],
)

Exam = registry.models.get("Exam") or registry.model("Exam", ExamSchema)
