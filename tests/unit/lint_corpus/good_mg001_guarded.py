# expect: nothing
"""The guard, define() and lookups never compile a model twice."""

import modelguard as mg
from modelguard import ModelRegistry, Schema, define, model, models, registry

UserSchema = Schema({})
ExamSchema = Schema({})
reg = ModelRegistry()

User = registry.models.get("User") or registry.model("User", UserSchema)
Course = models.get("Course") or model("Course", UserSchema)
Exam = mg.models.get("Exam") or mg.model("Exam", ExamSchema)
Quiz = mg.registry.models.get("Quiz") or mg.registry.model("Quiz", ExamSchema)
Doubt = reg.models.get("Doubt") or reg.model("Doubt", ExamSchema)
Video = registry.models.get("Video") or registry.model(
    "Video",
    ExamSchema,
)

# The shared helper is guarded on the inside.
Message = define("Message", UserSchema)
Reply = registry.define("Reply", UserSchema)
Pdf = mg.define("Pdf", ExamSchema)

# One argument is a lookup, never a compilation.
AlsoUser = model("User")
AlsoExam = registry.model("Exam")


def register_late(schema):
    """Inside a function MG001 does not judge, guarded or not."""
    late = registry.models.get("Late") or registry.model("Late", schema)
    return late, registry.model("Later", schema)


class Pipeline:
    """A `.model()` method on something that is not a registry is not ours to judge."""

    def model(self, name, schema):
        return name, schema


pipeline = Pipeline()
unrelated = pipeline.model("User", UserSchema)
