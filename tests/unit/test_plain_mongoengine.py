"""Plain mongoengine does not raise: the last class of a name silently wins.

This documents the behaviour a Python team meets without a registry like
modelguard's, so the test fails if mongoengine starts to refuse or warn.
"""

from __future__ import annotations

import warnings

from mongoengine import Document, fields
from mongoengine.base.common import _document_registry, get_document


def test_a_second_document_class_of_one_name_silently_replaces_the_first(mongo):
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no warning either, for a same-module redefinition

        class Trainee(Document):
            email = fields.StringField()
            meta = {"collection": "trainees"}

        first = Trainee

        class Trainee(Document):  # noqa: F811 - the redefinition is the point
            email = fields.StringField()
            meta = {"collection": "trainees"}

    try:
        assert get_document("Trainee") is Trainee
        assert get_document("Trainee") is not first

        first(email="a@example.com").save()
        loaded = Trainee.objects.get(email="a@example.com")
        assert not isinstance(loaded, first)  # the isinstance check the overwrite breaks
        assert isinstance(first.objects.get(email="a@example.com"), first)
    finally:
        _document_registry.pop("Trainee", None)
