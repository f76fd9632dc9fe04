# expect: MG001@13 MG001@14 MG001@15
"""Only a noqa comment that names the code suppresses it."""

from modelguard import Schema, registry

UserSchema = Schema({})

A = registry.model("A", UserSchema)  # noqa: MG001
B = registry.model("B", UserSchema)  # noqa: MG001 -- seeded once by the migration script
C = registry.model("C", UserSchema)  # noqa: MG002,MG001
D = registry.model("D", UserSchema)  # NOQA:mg001
E = registry.model("E", UserSchema)  # noqa: E501, MG001 because the line is long as well
F = registry.model("F", UserSchema)  # noqa: MG002
G = registry.model("G", UserSchema)  # noqa
H = registry.model("H", UserSchema)  # noqa: MG0011
