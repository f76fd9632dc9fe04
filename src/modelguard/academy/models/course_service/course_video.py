"""CourseVideo: one lecture video of a course module."""

from mongoengine import fields

from modelguard import Schema, registry

CourseVideoSchema = Schema(
    {
        "course_id": fields.ObjectIdField(required=True),
        "title": fields.StringField(required=True, max_length=200),
        "url": fields.URLField(required=True),
        "duration_seconds": fields.IntField(min_value=0),
        "position": fields.IntField(min_value=0, default=0),
    },
    collection="course_videos",
    indexes=[("course_id", "position")],
)

CourseVideo = registry.models.get("CourseVideo") or registry.model("CourseVideo", CourseVideoSchema)
