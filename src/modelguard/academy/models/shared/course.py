"""Course: what a student buys; its skill decides which trainers can teach it."""

from mongoengine import fields

from modelguard import Schema, registry

CourseSchema = Schema(
    {
        "title": fields.StringField(required=True, max_length=200),
        "skill": fields.StringField(required=True, max_length=60),
        "price_cents": fields.IntField(min_value=0, required=True),
        "level": fields.StringField(choices=("beginner", "intermediate", "advanced")),
        "published": fields.BooleanField(default=False),
    },
    collection="courses",
    indexes=["skill"],
)

Course = registry.models.get("Course") or registry.model("Course", CourseSchema)
