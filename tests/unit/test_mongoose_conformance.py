"""Mongoose's own registry tests, ported to ModelRegistry.

Each test mirrors one test in Automattic/mongoose (9.x): `TestMongooseModule`
holds those of test/index.test.js (its describe block is "mongoose module:"),
`TestConnections` those of test/connection.test.js ("connections:"). A test is
named after the Mongoose title it mirrors, and its docstring gives the file,
the title and the gh number where the title has one. A ModelRegistry stands for
a `new Mongoose()` or a connection: both hold one independent set of models.
Where a Mongoose test also checks something outside the registry (a `'model'`
event, a document round trip), only the part that applies is ported, and the
docstring says which part was left out.

Mongoose registry tests that do not apply, and why:

- test/index.test.js, "clones schema when instance of another Mongoose
  instance's Schema class (gh-11047)": there is one Schema class, shared by
  every registry.
- test/index.test.js, "cloneSchemas option (gh-6274)" and the global-plugin
  tests ("declaring global plugins (gh-5690)" and the rest): no plugins and no
  schema cloning; a compiled model copies its fields, so a schema is never
  changed by compiling it.
- test/connection.test.js, ".model() / should properly assign the db":
  `Model.model(name)` (a lookup through a model's own connection) has no
  counterpart; compiled classes are plain mongoengine documents.
- test/connection.test.js, "modelNames() / returns names of all models
  registered on it", its discriminator: there are no discriminators (ported
  without it).
- test/connection.test.js, "deleteModel()" and "allows overwriting models
  (gh-9406)", their `'deleteModel'` and `'model'` events: the registry emits no
  events (ported without them).

Where Mongoose's two levels disagree, the registry is the Mongoose object, as
real Mongoose 8 showed in tests/unit/test_mongoose_oracle.py: a registry-wide
`overwrite_models`, once set, beats a per-call `overwrite=` both ways (a
connection lets the per-call option win), and an overwrite replaces what lookups
return (a connection keeps its first model). The connection tests below are
ported to a registry on those terms.
"""

from __future__ import annotations

import re

import pytest
from mongoengine import Document, fields
from mongoengine.base.common import _document_registry

import modelguard
from modelguard import MissingSchemaError, ModelRegistry, OverwriteModelError, Schema


def name_schema() -> Schema:
    """Mongoose's `new Schema({ name: String })`."""
    return Schema({"name": fields.StringField()})


@pytest.fixture
def m():
    """Mongoose's `const m = new Mongoose()`: a registry of its own."""
    reg = ModelRegistry()
    yield reg
    reg.reset()


class TestMongooseModule:
    """test/index.test.js, describe "mongoose module:"."""

    def test_accessing_a_model_that_hasnt_been_defined(self, m):
        """test/index.test.js, "model() / accessing a model that hasn't been defined"."""
        with pytest.raises(MissingSchemaError, match="hasn't been registered"):
            m.model("Test")

    def test_returns_the_model_at_creation(self, m, mongo):
        """test/index.test.js, "model() / returns the model at creation"."""
        Named = m.model("Named", name_schema())
        assert Named().name is None
        assert Named(name="Peter Bjorn").name == "Peter Bjorn"

        Numbered = m.model("Numbered", Schema({"number": fields.IntField()}), "blog")
        assert Numbered(number=1234).number == 1234
        assert Numbered._get_collection_name() == "blog"

    def test_prevents_overwriting_pre_existing_models(self, m):
        """test/index.test.js, "model() / prevents overwriting pre-existing models"."""
        m.model("A", Schema({}))
        with pytest.raises(OverwriteModelError, match="Cannot overwrite `A` model"):
            m.model("A", Schema({}))

    def test_allows_passing_identical_name_and_schema_args(self, m):
        """test/index.test.js, "model() / allows passing identical name + schema args".

        Mongoose passes the compiled model's own schema back: `m.model('A', model.schema)`.
        """
        schema = Schema({})
        model = m.model("A", schema)
        assert model.schema is schema
        assert m.model("A", model.schema) is model
        assert m.model("A", schema) is model

    def test_allows_passing_identical_name_schema_collection_args(self, m):
        """test/index.test.js, "model() / allows passing identical name+schema+collection args
        (gh-5767)"."""
        schema = Schema({})
        model = m.model("A", schema, "AA")
        assert m.model("A", schema, "AA") is model
        assert model._get_collection_name() == "AA"

    def test_passing_collection_name_when_model_name_already_exists(self, m):
        """test/index.test.js, "passing collection name / when model name already exists /
        returns a new uncached model"."""
        A = m.model("Test", Schema({"a": fields.ListField()}))
        B = m.model("Test")
        C = m.model("Test", collection="alternateName")
        assert A._get_collection_name() == B._get_collection_name()
        assert A._get_collection_name() != C._get_collection_name()
        assert m.models["Test"] is A
        assert C._get_collection_name() == "alternateName"
        assert m.model("Test", collection="alternateName") is not C

    def test_throws_on_unknown_model_name(self):
        """test/index.test.js, "model() / throws on unknown model name".

        Mongoose asks its default instance; here the default registry answers.
        """
        with pytest.raises(MissingSchemaError, match="Schema hasn't been registered"):
            modelguard.model("iDoNotExist!")

    def test_passing_object_literal_schemas_works(self, m, mongo):
        """test/index.test.js, "model() / passing object literal schemas / works".

        A plain mapping of fields is turned into a Schema; the field casts '47' to 47.
        """
        A = m.model("A", {"age": fields.IntField()})
        a = A(age="47").save()
        assert A.objects.get(id=a.id).age == 47

    def test_allows_const_model_equals_mongoose(self):
        """test/index.test.js, "allows `const { model } = mongoose` (gh-3768)".

        The bound `modelguard.model` works on its own and registers in `modelguard.models`.
        """
        from modelguard import model, models

        try:
            model("gh3768", name_schema())
            assert models["gh3768"]
        finally:
            modelguard.delete_model("gh3768")

    def test_delete_model(self, m):
        """test/index.test.js, "deleteModel()" (gh-6813)."""
        m.model("gh6813", name_schema())
        assert m.model("gh6813")
        m.delete_model("gh6813")
        with pytest.raises(MissingSchemaError, match="Schema hasn't been registered"):
            m.model("gh6813")
        assert m.model("gh6813", name_schema())


class TestConnections:
    """test/connection.test.js, describe "connections:"."""

    @pytest.fixture
    def db(self):
        """The `.model()` block's connection, emptied before each test by `db.deleteModel(/.*/)`."""
        reg = ModelRegistry()
        reg.model("Leftover", Schema({}))
        reg.delete_model(re.compile(".*"))
        assert reg.model_names() == []
        yield reg
        reg.reset()

    def test_model_allows_passing_a_schema(self, db):
        """test/connection.test.js, ".model() / allows passing a schema"."""
        db.delete_model(re.compile("Test"))
        MyModel = db.model("Test", name_schema())
        assert issubclass(MyModel, Document)
        assert MyModel(name="aaron").name == "aaron"

    def test_model_prevents_overwriting_pre_existing_models(self, db):
        """test/connection.test.js, ".model() / prevents overwriting pre-existing models"."""
        db.delete_model(re.compile("Test"))
        db.model("Test", Schema({}))
        with pytest.raises(OverwriteModelError, match="Cannot overwrite `Test` model"):
            db.model("Test", Schema({}))

    def test_model_allows_passing_identical_name_and_schema_args(self, db):
        """test/connection.test.js, ".model() / allows passing identical name + schema args"."""
        schema = Schema({})
        db.delete_model(re.compile("Test"))
        model = db.model("Test", schema)
        assert db.model("Test", model.schema) is model

    def test_model_throws_on_unknown_model_name(self, db):
        """test/connection.test.js, ".model() / throws on unknown model name"."""
        with pytest.raises(MissingSchemaError, match="Schema hasn't been registered"):
            db.model("iDoNotExist!")

    def test_model_passing_object_literal_schemas_works(self, db, mongo):
        """test/connection.test.js, ".model() / passing object literal schemas / works"
        (with a save and a find by id)."""
        A = db.model("A", {"n": fields.ListField(fields.DictField())})
        a = A(n=[{"age": 47}]).save()
        assert A.objects.get(id=a.id).n[0]["age"] == 47

    def test_model_names_returns_names_of_all_models_registered_on_it(self):
        """test/connection.test.js, "modelNames() / returns names of all models registered on it".

        Another registry's names are not listed, as a connection's are not in
        `mongoose.modelNames()`. The discriminator is left out.
        """
        m, db = ModelRegistry(), ModelRegistry()
        try:
            m.model("root", {"x": fields.StringField()})
            m.model("another", {"x": fields.StringField()})
            db.model("something", {"x": fields.StringField()})
            assert db.model_names() == ["something"]
            assert m.model_names() == ["root", "another"]
        finally:
            m.reset()
            db.reset()

    def test_delete_model(self):
        """test/connection.test.js, "deleteModel()" (gh-6813).

        The `'deleteModel'` event is left out; mongoengine's document registry
        forgets the class instead, which is this registry's own promise.
        """
        conn = ModelRegistry()
        try:
            Model = conn.model("gh6813", name_schema())
            assert conn.model("gh6813") is Model
            conn.delete_model("gh6813")
            assert _document_registry.get("gh6813") is not Model
            with pytest.raises(MissingSchemaError, match="Schema hasn't been registered"):
                conn.model("gh6813")
            assert conn.model("gh6813", name_schema())
        finally:
            conn.reset()

    def test_allows_overwriting_models(self, m):
        """test/connection.test.js, "allows overwriting models (gh-9406)".

        Mongoose's `overwriteModels: true` option is `overwrite=True`; its
        `'model'` events are left out.
        """
        M1 = m.model("Test", name_schema(), overwrite=True)
        M2 = m.model("Test", name_schema(), overwrite=True)
        M3 = m.model("Test", name_schema(), overwrite=True)
        assert M1 is not M2
        assert M2 is not M3
        with pytest.raises(OverwriteModelError, match="overwrite"):
            m.model("Test", name_schema())

    def test_allows_setting_overwrite_models_globally(self, m):
        """test/connection.test.js, "allows setting `overwriteModels` globally (gh-9406)"."""
        m.overwrite_models = True
        M1 = m.model("Test", name_schema())
        M2 = m.model("Test", name_schema())
        M3 = m.model("Test", name_schema())
        assert M1 is not M2
        assert M2 is not M3

        m.overwrite_models = False
        with pytest.raises(OverwriteModelError, match="overwrite"):
            m.model("Test", name_schema())

    def test_model_works_with_1_argument_and_overwrite_models_set_to_true(self):
        """test/connection.test.js, "model() works with 1 argument and overwriteModels set to
        true (gh-12359)".

        Mongoose checks this on the instance and on its connection; here it is
        one registry, set both ways: in the constructor and by assignment.
        """
        m = ModelRegistry(overwrite_models=True)
        conn = ModelRegistry()
        conn.overwrite_models = True
        try:
            Test = m.model("Test", name_schema())
            assert m.model("Test") is Test
            Test2 = conn.model("Test2", name_schema())
            assert conn.model("Test2") is Test2
        finally:
            m.reset()
            conn.reset()
