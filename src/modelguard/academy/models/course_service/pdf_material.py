"""PdfMaterial: downloadable reading material of a course."""

from mongoengine import fields

from modelguard import Schema, registry

PdfMaterialSchema = Schema(
    {
        "course_id": fields.ObjectIdField(required=True),
        "title": fields.StringField(required=True, max_length=200),
        "url": fields.URLField(required=True),
        "pages": fields.IntField(min_value=1),
    },
    collection="pdf_materials",
    indexes=["course_id"],
)

PdfMaterial = registry.models.get("PdfMaterial") or registry.model("PdfMaterial", PdfMaterialSchema)
