"""Print, as JSON, every node class of this interpreter's ast module (those defined by the C module _ast;
the deprecated aliases ast.py adds, such as Index or AugLoad, are not part of the grammar) with its base,
_fields and _field_types."""
import _ast
import ast
import json

classes = {}
for name in dir(_ast):
    cls = getattr(_ast, name)
    if not (isinstance(cls, type) and issubclass(cls, ast.AST)) or cls is ast.AST:
        continue
    base = cls.__mro__[1].__name__
    types = getattr(cls, '_field_types', {})
    classes[name] = {
        'base': base,
        'fields': list(cls._fields),
        'types': {k: (v.__name__ if isinstance(v, type) else str(v)) for k, v in types.items()},
        'abstract': bool(cls.__subclasses__()) and not cls._fields,
    }
print(json.dumps(classes, sort_keys=True))
