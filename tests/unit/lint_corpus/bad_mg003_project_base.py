# expect: MG003@15 MG003@19
"""A document on the project's own base, imported under mongoengine's name, is a document."""

from mg003_project_base import ProjectDocument as Document
from mongoengine import fields


class Audit(Document):
    """Module level: defined once per process, fine."""

    action = fields.StringField()


def handle(event):
    class Allocation(Document):
        trainer = fields.StringField()

    # derived from a document class of this file, whose base is the project's
    class Review(Audit):
        pass

    return Allocation, Review
