"""Templates and assets shipped as package data (a `templates/` folder next to the code), read
through importlib.resources so that they load the same from a checkout, a wheel or a zip."""

from __future__ import annotations

from functools import cache
from importlib import resources
from importlib.resources.abc import Traversable

from jinja2 import Environment, FunctionLoader, StrictUndefined
from markupsafe import Markup

__all__ = ["asset", "environment"]


def _folder(package: str) -> Traversable:
    return resources.files(package) / "templates"


@cache
def environment(package: str) -> Environment:
    """The Jinja environment of `package`'s templates: autoescaped, strict about undefined names."""
    folder = _folder(package)

    def source(name: str) -> str | None:
        path = folder / name
        return path.read_text("utf-8") if path.is_file() else None  # None: TemplateNotFound

    return Environment(
        loader=FunctionLoader(source),
        autoescape=True,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )


@cache
def asset(package: str, name: str) -> Markup:
    """A CSS or JavaScript file of `package`'s templates, to be inlined as it is (not a template)."""
    return Markup((_folder(package) / name).read_text("utf-8"))
