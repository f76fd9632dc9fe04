"""Quiz: a short ungraded check inside a course module."""

from mongoengine import fields

from modelguard import Schema, registry

QuizSchema = Schema(
    {
        "course_id": fields.ObjectIdField(required=True),
        "module": fields.IntField(min_value=1, required=True),
        "questions": fields.ListField(fields.DictField(), default=list),
        "attempts_allowed": fields.IntField(min_value=1, default=3),
    },
    collection="quizzes",
    indexes=[("course_id", "module")],
)

Quiz = registry.models.get("Quiz") or registry.model("Quiz", QuizSchema)
