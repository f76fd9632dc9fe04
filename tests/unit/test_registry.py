"""ModelRegistry follows Mongoose's model() rules, and mongoengine's registry follows it."""

from __future__ import annotations

import re

import pytest
from mongoengine import Document, fields
from mongoengine.base.common import _document_registry, get_document
from mongoengine.errors import NotRegistered

import modelguard
from modelguard import (
    MissingSchemaError,
    ModelRegistry,
    OverwriteModelError,
    Schema,
    SchemaConflictError,
)


def test_compiling_a_schema_builds_a_mongoengine_document_named_after_the_model(
    registry, name, user_schema
):
    cls = registry.model(name, user_schema)
    assert issubclass(cls, Document)
    assert cls.__name__ == name
    assert set(user_schema.fields) <= set(cls._fields)
    assert registry.models[name] is cls


def test_looking_up_an_unknown_model_raises_missing_schema_error(registry):
    with pytest.raises(MissingSchemaError) as raised:
        registry.model("Ghost")
    assert str(raised.value) == (
        'Schema hasn\'t been registered for model "Ghost".\nUse modelguard.model(name, schema)'
    )


def test_looking_up_a_compiled_model_returns_it(registry, name, user_schema):
    cls = registry.model(name, user_schema)
    assert registry.model(name) is cls


def test_the_same_schema_object_again_returns_the_cached_class(registry, name, user_schema):
    assert registry.model(name, user_schema) is registry.model(name, user_schema)


def test_another_schema_object_raises_mongooses_exact_message(registry, name, user_schema):
    registry.model(name, user_schema)
    same_content = Schema(dict(user_schema.fields))
    with pytest.raises(OverwriteModelError) as raised:
        registry.model(name, same_content)
    assert str(raised.value) == f"Cannot overwrite `{name}` model once compiled."
    assert raised.value.name == name


def test_a_plain_mapping_is_a_new_schema_and_always_raises(registry, name, user_schema):
    registry.model(name, user_schema)
    with pytest.raises(OverwriteModelError):
        registry.model(name, user_schema.fields)


def test_overwrite_replaces_the_model_and_mongoengine_follows(registry, name, user_schema):
    first = registry.model(name, user_schema)
    second = registry.model(name, Schema({"title": fields.StringField()}), overwrite=True)
    assert second is not first
    assert registry.model(name) is second
    assert get_document(name) is second
    assert "title" in second._fields and "email" not in second._fields


def test_delete_model_forgets_it_here_and_in_mongoengine(registry, name, user_schema):
    registry.model(name, user_schema)
    registry.delete_model(name)
    assert name not in registry.models
    with pytest.raises(NotRegistered):
        get_document(name)
    with pytest.raises(MissingSchemaError):
        registry.model(name)


def test_a_deleted_name_can_be_compiled_again(registry, name, user_schema):
    first = registry.model(name, user_schema)
    registry.delete_model(name)
    assert registry.model(name, Schema(dict(user_schema.fields))) is not first


def test_deleting_an_unknown_model_raises_missing_schema_error(registry):
    with pytest.raises(MissingSchemaError):
        registry.delete_model("Ghost")


def test_a_pattern_deletes_every_matching_name_and_mongoengine_follows(registry, user_schema):
    kept = registry.model("RegBeta", user_schema)
    registry.model("RegAlpha", user_schema)
    registry.model("RegAlps", user_schema)
    registry.delete_model(re.compile("Al"))  # re.search, like RegExp.test: not anchored
    assert registry.model_names() == ["RegBeta"]
    assert "RegAlpha" not in _document_registry and "RegAlps" not in _document_registry
    assert get_document("RegBeta") is kept


def test_a_pattern_that_matches_nothing_deletes_nothing_and_does_not_raise(
    registry, name, user_schema
):
    registry.model(name, user_schema)
    registry.delete_model(re.compile("^Nothing$"))
    assert registry.model_names() == [name]


def test_deleting_by_anything_but_a_name_or_a_pattern_raises_type_error(registry):
    with pytest.raises(TypeError, match="must be a string or a compiled re.Pattern"):
        registry.delete_model(42)  # type: ignore[arg-type]


def test_model_names_keep_registration_order_through_overwrite_and_delete(registry, user_schema):
    for model_name in ("OrderX", "OrderY", "OrderZ"):
        registry.model(model_name, user_schema)
    registry.model("OrderY", Schema({}), overwrite=True)  # an overwrite keeps its place
    assert registry.model_names() == ["OrderX", "OrderY", "OrderZ"]
    registry.delete_model("OrderX")
    registry.model("OrderX", user_schema)  # a recompiled name goes to the end
    assert registry.model_names() == ["OrderY", "OrderZ", "OrderX"]


def test_a_registry_wide_true_beats_a_per_call_false(name, user_schema):
    """As on the Mongoose object: a global setting that was set at all decides."""
    reg = ModelRegistry(overwrite_models=True)
    try:
        first = reg.model(name, user_schema)
        assert reg.model(name, Schema({}), overwrite=False) is not first
    finally:
        reg.reset()


def test_a_registry_wide_false_beats_a_per_call_true(name, user_schema):
    reg = ModelRegistry(overwrite_models=False)
    try:
        reg.model(name, user_schema)
        with pytest.raises(OverwriteModelError):
            reg.model(name, Schema({}), overwrite=True)
    finally:
        reg.reset()


def test_a_per_call_option_decides_while_the_global_one_is_unset(registry, name, user_schema):
    assert registry.overwrite_models is None
    first = registry.model(name, user_schema)
    assert registry.model(name, Schema({}), overwrite=True) is not first
    with pytest.raises(OverwriteModelError):
        registry.model(name, Schema({}), overwrite=False)


def test_overwriting_compiles_again_even_for_the_same_schema_object(name, user_schema):
    reg = ModelRegistry(overwrite_models=True)
    try:
        first = reg.model(name, user_schema)
        assert reg.model(name, user_schema) is not first
        assert reg.model(name) is reg.models[name]
    finally:
        reg.reset()


def test_define_ignores_the_registry_wide_setting(name, user_schema):
    reg = ModelRegistry(overwrite_models=True)
    try:
        first = reg.define(name, user_schema)
        assert reg.define(name, Schema(dict(user_schema.fields))) is first
        with pytest.raises(SchemaConflictError):
            reg.define(name, Schema({}))
    finally:
        reg.reset()


def test_models_is_a_live_view_that_refuses_assignment(registry, name, user_schema):
    view = registry.models
    with pytest.raises(TypeError):
        view[name] = object  # type: ignore[index]
    cls = registry.model(name, user_schema)
    assert view.get(name) is cls


def test_del_models_forgets_the_model_so_compiling_again_succeeds(registry, name, user_schema):
    """`delete mongoose.models.User`, then compiling again: the Next.js idiom."""
    first = registry.model(name, user_schema)
    del registry.models[name]
    assert registry.models.get(name) is None and name not in registry.model_names()
    assert _document_registry.get(name) is None
    second = registry.models.get(name) or registry.model(name, Schema(dict(user_schema.fields)))
    assert second is not first and registry.model(name) is second
    assert registry.models.pop(name) is second and registry.models.pop(name, None) is None
    with pytest.raises(KeyError):
        del registry.models[name]


def test_delete_model_returns_the_registry(registry, user_schema):
    registry.model("ChainA", user_schema)
    registry.model("ChainB", user_schema)
    assert registry.delete_model("ChainA").delete_model(re.compile("B$")) is registry
    assert registry.model_names() == []


def test_another_collection_gives_an_uncached_model_each_call(registry, name, user_schema):
    cached = registry.model(name, user_schema)
    one = registry.model(name, user_schema, "archive")
    two = registry.model(name, collection="archive")
    assert len({cached, one, two}) == 3
    assert one._get_collection_name() == two._get_collection_name() == "archive"
    assert one.schema is user_schema and registry.model(name, one.schema) is cached
    assert registry.models[name] is cached and _document_registry[name] is cached
    assert registry.model(name, user_schema, cached._get_collection_name()) is cached


def test_the_guard_compiles_once_and_then_returns_the_cached_model(registry, name, user_schema):
    first = registry.models.get(name) or registry.model(name, user_schema)
    rebuilt = Schema(dict(user_schema.fields))  # what a second run of the model file builds
    again = registry.models.get(name) or registry.model(name, rebuilt)
    assert again is first
    assert registry.compilations[name] == 1


def test_compilations_count_every_request_including_the_ones_that_raise(
    registry, name, user_schema
):
    registry.model(name, user_schema)
    registry.model(name, user_schema)
    with pytest.raises(OverwriteModelError):
        registry.model(name, Schema(dict(user_schema.fields)))
    assert registry.compilations[name] == 3


def test_two_registries_are_independent_like_two_mongoose_connections(name, user_schema):
    one, two = ModelRegistry(), ModelRegistry()
    try:
        a = one.model(name, user_schema)
        b = two.model(name, Schema(dict(user_schema.fields)))
        assert a is not b
        assert one.model(name) is a and two.model(name) is b
        one.delete_model(name)
        assert two.model(name) is b
    finally:
        two.reset()


def test_collection_comes_from_the_schema(registry, name):
    cls = registry.model(name, Schema({"x": fields.IntField()}, collection="things"))
    assert cls._get_collection_name() == "things"


@pytest.mark.parametrize(
    ("model_name", "collection"),
    [
        ("User", "users"),
        ("DoubtReply", "doubtreplies"),
        ("Analytics", "analytics"),
        ("Box", "boxes"),
        ("Day", "days"),
        ("Person", "people"),
        ("Child", "children"),
        ("Quiz", "quizzes"),
        ("Bus", "buses"),
        ("Wife", "wives"),
        ("Sheep", "sheep"),
        ("User1", "user1"),
        ("system.profile", "system.profile"),
    ],
)
def test_the_default_collection_is_mongooses_plural(model_name, collection):
    from modelguard.registry.model_registry import default_collection

    assert default_collection(model_name) == collection


def test_the_default_registry_and_its_bound_names_are_one_object():
    assert modelguard.model.__self__ is modelguard.registry
    assert modelguard.define.__self__ is modelguard.registry
    assert modelguard.model_names.__self__ is modelguard.registry
    assert modelguard.models is modelguard.registry.models


def test_reset_empties_the_registry_and_mongoengines_entries(name, user_schema):
    reg = ModelRegistry()
    reg.model(name, user_schema)
    reg.reset()
    assert not reg.models and not reg.compilations
    assert name not in _document_registry
