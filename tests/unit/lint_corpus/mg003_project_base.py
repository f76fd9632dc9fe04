# expect: nothing
"""A project's own document base, which another file imports under mongoengine's name."""

from mongoengine import Document, fields


class ProjectDocument(Document):
    meta = {"abstract": True}

    created = fields.DateTimeField()

