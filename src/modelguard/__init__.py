"""modelguard: Mongoose's model registry over mongoengine, and the incident it caused.

The process default registry and its bound names live here, so model modules
read like the platform's TypeScript:

    from modelguard import Schema, registry
    User = registry.models.get("User") or registry.model("User", UserSchema)

Importing this package connects to nothing; `modelguard.db.connect()` does.
"""

# strict is imported so `modelguard.strict.enable()` works after `import modelguard`;
# importing it changes nothing until enable() is called.
from modelguard import strict
from modelguard.registry.errors import (
    CompileSite,
    MissingSchemaError,
    ModelRegistryError,
    OverwriteModelError,
    SchemaConflictError,
)
from modelguard.registry.model_registry import ModelRegistry
from modelguard.registry.schema import Schema

registry = ModelRegistry()
model = registry.model
models = registry.models
define = registry.define
delete_model = registry.delete_model
model_names = registry.model_names

__all__ = [
    "CompileSite",
    "MissingSchemaError",
    "ModelRegistry",
    "ModelRegistryError",
    "OverwriteModelError",
    "Schema",
    "SchemaConflictError",
    "define",
    "delete_model",
    "model",
    "model_names",
    "models",
    "registry",
    "strict",
]
