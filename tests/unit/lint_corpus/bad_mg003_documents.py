# expect: MG003@26 MG003@29 MG003@32 MG003@35 MG003@38 MG003@41 MG003@44 MG003@50
"""A document class defined in a function is registered again on every call."""

import mongoengine
import mongoengine as me
import mongoengine.document
from mongoengine import Document, EmbeddedDocument, fields
from mongoengine import DynamicDocument as Flexible


class User(Document):
    """At module level a document is defined once per process: fine."""

    email = fields.StringField()


class Trainer(User):
    meta = {"allow_inheritance": True}


class Plain:
    """Not a document: defining it anywhere is fine."""


def handler(event):
    class Allocation(Document):
        trainer = fields.StringField()

    class Audit(me.Document):
        action = fields.StringField()

    class Event(mongoengine.Document):
        kind = fields.StringField()

    class Raw(mongoengine.document.Document):
        payload = fields.DictField()

    class Loose(Flexible):
        pass

    class Address(EmbeddedDocument):
        city = fields.StringField()

    class Senior(Trainer):
        """Derived from a document class of this file: still a document."""

    class Helper(Plain):
        pass

    class Late(Document):
        when = fields.DateTimeField()

    return Allocation, Audit, Event, Raw, Loose, Address, Senior, Helper, Late
