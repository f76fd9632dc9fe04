# expect: nothing
"""Documents a test uses, defined once at module level: nothing to report, even opted in."""

from mongoengine import Document, fields


class Sample(Document):
    name = fields.StringField()


def test_saves_a_sample():
    assert Sample(name="x").name == "x"
