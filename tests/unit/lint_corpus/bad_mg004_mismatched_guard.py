# expect: MG004@15 MG004@16 MG004@24 MG001@27
"""A guard that checks one name and compiles another never finds its model."""

from modelguard import Schema, model, models, registry

UserSchema = Schema({})
NAME = "User"
OTHER = "Users"


def name_of(kind):
    return kind


Users = models.get("User") or model("Users", UserSchema)
Named = registry.models.get(NAME) or registry.model(OTHER, UserSchema)
Same = registry.models.get(NAME) or registry.model(NAME, UserSchema)
Called = models.get(name_of("a")) or model(name_of("a"), UserSchema)
# A constant against a variable cannot be judged without running the code.
Mixed = models.get(NAME) or model("User", UserSchema)


def late(schema):
    return models.get("Late") or model("Later", schema)


Unguarded = models.get("User") and model("User", UserSchema)
