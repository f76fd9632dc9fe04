# expect: MG001@14 MG001@16 MG001@19 MG001@23 MG001@26 MG001@30 MG001@37
"""Module level is more than the top line: blocks and class bodies run at import too."""

import contextlib
import os

from modelguard import Schema, model, registry

UserSchema = Schema({})
NAMES = ("Exam", "Quiz")
features = {}

if os.environ.get("ACADEMY_CHAT"):
    Doubt = registry.model("Doubt", UserSchema)
else:
    Doubt = model("Doubt", UserSchema)

try:
    User = registry.model("User", UserSchema)
except ImportError:
    User = None
finally:
    features["audit"] = model("Audit", UserSchema)

with contextlib.suppress(KeyError):
    Course = model("Course", UserSchema)


class Models:
    Message = registry.model("Message", UserSchema)

    @staticmethod
    def later():
        return registry.model("Later", UserSchema)  # a function body: not judged by MG001


compiled = [model(name, UserSchema) for name in NAMES]
