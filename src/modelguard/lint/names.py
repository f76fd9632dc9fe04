"""Which module a file is, and what each local name in it was imported as.

A rule sees ``mg.registry.model`` or ``il.import_module``; these helpers turn
that into ``modelguard.registry.model`` and ``importlib.import_module`` through
the file's own imports, relative ones included, so a rule names one thing
however a file spells it.
"""

from __future__ import annotations

import ast
from pathlib import Path


def module_of(path: str) -> tuple[str, list[str]]:
    """The dotted module name of a file and the package its relative imports start from.

    On disk the package is found by walking up through ``__init__.py`` files.
    For a path that is not on disk (a source string checked under a made-up
    name) the innermost ``modelguard`` folder stands for the package root.
    """
    file = Path(path)
    is_package = file.stem == "__init__"
    parts: list[str] = [] if is_package else [file.stem]
    if file.is_file():
        folder = file.parent.resolve()
        while (folder / "__init__.py").is_file():
            parts.insert(0, folder.name)
            folder = folder.parent
        # a file outside any package: its folder name is no package of it
        package = parts if is_package else parts[:-1]
        return ".".join(parts) or file.stem, package
    folders = list(file.parts[:-1])
    if "modelguard" in folders:
        start = len(folders) - 1 - folders[::-1].index("modelguard")
        parts = folders[start:] + parts
    package = parts if is_package else parts[:-1]
    return ".".join(parts) or file.stem, package


def aliases(tree: ast.Module, package: list[str], known: set[str]) -> dict[str, str]:
    """Local name -> the dotted name it was imported as, for every import in the file.

    ``known`` lists the dotted names a star import is assumed to bring in.
    """
    found: dict[str, str] = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:  # `import a.b` binds `a`; `import a.b as c` binds a.b
                local = alias.asname or alias.name.split(".")[0]
                found[local] = alias.name if alias.asname else local
        elif isinstance(node, ast.ImportFrom):
            base = node.module.split(".") if node.module else []
            if node.level:
                base = package[: max(0, len(package) - node.level + 1)] + base
            module = ".".join(base)
            for alias in node.names:
                if alias.name == "*":
                    for mod, _, last in (name.rpartition(".") for name in known):
                        if mod == module:
                            found[last] = f"{mod}.{last}"
                else:
                    found[alias.asname or alias.name] = f"{module}.{alias.name}"
    return found


def dotted(node: ast.expr, imported: dict[str, str]) -> str:
    """``mg.registry.model`` -> ``modelguard.registry.model``; "" if not a dotted name."""
    parts = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if not isinstance(node, ast.Name):
        return ""
    return ".".join([imported.get(node.id, node.id), *reversed(parts)])


def root_name(node: ast.expr) -> str | None:
    """The name an attribute or subscript chain starts from: ``self`` in ``self.a[b].c``."""
    while isinstance(node, ast.Attribute | ast.Subscript | ast.Starred):
        node = node.value
    return node.id if isinstance(node, ast.Name) else None
