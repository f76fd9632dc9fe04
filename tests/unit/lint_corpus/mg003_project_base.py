# expect: nothing
"""A project's own document base, and a package-style re-export of it under mongoengine's name."""

from mongoengine import Document, fields


class ProjectDocument(Document):
    meta = {"abstract": True}

    created = fields.DateTimeField()


Base = ProjectDocument
