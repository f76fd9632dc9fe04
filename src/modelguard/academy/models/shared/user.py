"""User: a student, trainer or admin. Trainers carry skills and a current load."""

from datetime import UTC, datetime

from mongoengine import fields

from modelguard import Schema, registry

ROLES = ("student", "trainer", "admin")

UserSchema = Schema(
    {
        "name": fields.StringField(required=True, max_length=120),
        "email": fields.EmailField(required=True, unique=True),
        "role": fields.StringField(required=True, choices=ROLES, default="student"),
        "skills": fields.ListField(fields.StringField(max_length=60)),
        "load": fields.IntField(min_value=0, default=0),
        "active": fields.BooleanField(default=True),
        "created_at": fields.DateTimeField(default=lambda: datetime.now(UTC)),
    },
    collection="users",
    indexes=["role", "skills"],
)

User = registry.models.get("User") or registry.model("User", UserSchema)
