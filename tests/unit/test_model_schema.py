"""A compiled model exposes its schema, as a Mongoose model does."""

from __future__ import annotations

import pytest
from mongoengine import fields

from modelguard import OverwriteModelError, Schema


def test_a_compiled_model_carries_the_schema_object_it_was_compiled_from(registry, name):
    schema = Schema({"email": fields.StringField()})
    Model = registry.model(name, schema)
    assert Model.schema is schema
    assert registry.model(name, Model.schema) is Model


def test_a_model_made_by_define_carries_its_schema_too(registry, name, user_schema):
    Model = registry.define(name, user_schema)
    assert Model.schema is user_schema
    assert registry.model(name, Model.schema) is Model


def test_an_overwritten_model_carries_the_new_schema_and_the_old_one_is_refused(
    registry, name, user_schema
):
    first = registry.model(name, user_schema)
    replacement = Schema({"email": fields.StringField()})
    second = registry.model(name, replacement, overwrite=True)
    assert second.schema is replacement
    with pytest.raises(OverwriteModelError):
        registry.model(name, first.schema)


def test_the_schema_is_not_a_document_field(registry, name, user_schema, mongo):
    Model = registry.model(name, user_schema)
    assert "schema" not in Model._fields
    saved = Model(email="a@example.com").save()
    assert "schema" not in Model._get_collection().find_one({"_id": saved.id})


def test_a_field_named_schema_is_refused_with_mongooses_words(registry, name):
    with pytest.raises(ValueError, match="`schema` may not be used as a schema pathname"):
        registry.model(name, Schema({"schema": fields.StringField()}))
    assert name not in registry.models
