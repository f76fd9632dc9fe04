# expect: MG001@19 MG001@20 MG001@21 MG001@22 MG001@23 MG001@24 MG001@25 MG001@28 MG001@29 MG001@32
"""Every way of reaching the registry's model() counts, whatever it is called."""

import modelguard
import modelguard as mg
from modelguard import ModelRegistry
from modelguard import model as m
from modelguard import registry as default_registry
from modelguard.registry.model_registry import ModelRegistry as Registry

UserSchema = mg.Schema({})
CourseSchema = mg.Schema({})

own = ModelRegistry()
other = Registry()
qualified = mg.ModelRegistry()

# Positional schema, schema= keyword, name= keyword: all compile a model.
User = m("User", UserSchema)
Course = m("Course", schema=CourseSchema)
Exam = mg.model(name="Exam", schema=CourseSchema)
Quiz = mg.registry.model("Quiz", CourseSchema)
Video = modelguard.registry.model("Video", CourseSchema)
Doubt = default_registry.model("Doubt", CourseSchema)
Reply = own.model("Reply", CourseSchema, overwrite=True)

# Registries made with any spelling of ModelRegistry are registries too.
Pdf = other.model("Pdf", CourseSchema)
Media = qualified.model("Media", CourseSchema)

annotated: ModelRegistry = ModelRegistry()
Chat = annotated.model("Chat", CourseSchema)
