# expect: MG001@9
"""The model file before the fix: it compiles User every time it runs."""

from mongoengine import fields

from modelguard import Schema, registry

UserSchema = Schema({"email": fields.StringField(required=True)})
User = registry.model("User", UserSchema)
