# expect: nothing
"""A guard that checks the name it compiles, however the name is written."""

from modelguard import Schema, registry

UserSchema = Schema({})
NAME = "User"

User = registry.models.get("User") or registry.model("User", UserSchema)
Same = registry.models.get(NAME) or registry.model(NAME, UserSchema)
Keyword = registry.models.get("Keyword") or registry.model(name="Keyword", schema=UserSchema)
# A constant against a variable: the lint cannot know the value, so it does not judge.
Unjudged = registry.models.get("Course") or registry.model(NAME, UserSchema)
