"""YAML files read with their line numbers, and the problems found in them.

Agreements and contracts are code: a problem in one names the file, the line and the fix.
PyYAML composes a node tree that keeps each node's position; `YamlDocument.line(path)` walks
it with a location such as ("datasets", 2, "recipients", 0, "fields") to find the line.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

Location = Sequence[str | int]


@dataclass(frozen=True, order=True)
class Problem:
    """One thing wrong with a policy or contract file: where, what, and how to fix it."""

    path: Path
    line: int
    problem: str
    fix: str

    def __str__(self) -> str:
        return f"{display_path(self.path)}:{self.line}: {self.problem} — {self.fix}"


def display_path(path: Path) -> str:
    """The path relative to the working directory when it is below it, else as given."""
    try:
        return (
            os.path.relpath(path) if Path(path).resolve().is_relative_to(Path.cwd()) else str(path)
        )
    except (OSError, ValueError):
        return str(path)


@dataclass(frozen=True)
class YamlDocument:
    path: Path
    data: Any
    root: yaml.Node | None
    sha256: str

    def resolved(self, location: Location) -> tuple[str | int, ...]:
        """`location` without the parts that name nothing here (a union's tag, say); a last
        part that names nothing stays, for it is what is missing."""
        node, kept = self.root, []
        for index, part in enumerate(location):
            found = _child(node, part) if node is not None else None
            if found is not None:
                node = found[1]
                kept.append(part)
            elif index == len(location) - 1:
                kept.append(part)
        return tuple(kept)

    def line(self, location: Location) -> int:
        """The 1-based line of the deepest node that `location` reaches.

        Parts of the location that do not name a key or an index here (pydantic adds the tag
        of a tagged union, for one) are passed over; the line of a key is preferred to the line
        of its value, which for a nested block starts on the next line.
        """
        node = self.root
        if node is None:
            return 1
        line = node.start_mark.line + 1
        for part in location:
            found = _child(node, part)
            if found is None:
                continue
            key_node, node = found
            line = (key_node or node).start_mark.line + 1
        return line


def _child(node: yaml.Node, part: str | int) -> tuple[yaml.Node | None, yaml.Node] | None:
    if isinstance(node, yaml.MappingNode):
        for key_node, value_node in node.value:
            if isinstance(key_node, yaml.ScalarNode) and key_node.value == str(part):
                return key_node, value_node
    elif isinstance(node, yaml.SequenceNode) and isinstance(part, int):
        if 0 <= part < len(node.value):
            return None, node.value[part]
    return None


# libyaml's loader when PyYAML was built with it: the same nodes and marks, much faster.
_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class YamlSyntaxError(Exception):
    def __init__(self, problem: Problem):
        super().__init__(str(problem))
        self.problem = problem


def read_yaml(path: Path) -> YamlDocument:
    """Parse one YAML file, keeping its node tree; raises `YamlSyntaxError` naming the line."""
    raw = path.read_bytes()
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise YamlSyntaxError(
            Problem(path, 1, f"the file is not UTF-8 ({exc.reason})", "save it as UTF-8")
        ) from exc
    loader = _Loader(text)
    try:
        root = loader.get_single_node()
        data = loader.construct_document(root) if root is not None else None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else 1
        what = " ".join(part for part in (exc.context, exc.problem) if part)
        if exc.context_mark and exc.problem_mark and exc.context_mark.line != exc.problem_mark.line:
            what += f" (what is unclosed starts on line {exc.context_mark.line + 1})"
        raise YamlSyntaxError(
            Problem(path, line, f"invalid YAML: {what}", "correct the YAML syntax at this line")
        ) from exc
    except yaml.YAMLError as exc:
        raise YamlSyntaxError(
            Problem(path, 1, f"invalid YAML: {exc}", "correct the YAML syntax")
        ) from exc
    finally:
        loader.dispose()
    return YamlDocument(path=path, data=data, root=root, sha256=hashlib.sha256(raw).hexdigest())


def duplicate_keys(document: YamlDocument) -> list[Problem]:
    """PyYAML keeps the last of two equal keys without a word; we say so instead."""
    problems: list[Problem] = []
    stack = [document.root] if document.root is not None else []
    visited: set[int] = set()  # an alias shares its anchor's node: look at each node once
    while stack:
        node = stack.pop()
        if id(node) in visited:
            continue
        visited.add(id(node))
        if isinstance(node, yaml.MappingNode):
            seen: dict[str, int] = {}
            for key_node, value_node in node.value:
                if isinstance(key_node, yaml.ScalarNode):
                    line = key_node.start_mark.line + 1
                    if key_node.value in seen:
                        problems.append(
                            Problem(
                                document.path,
                                line,
                                f"`{key_node.value}` appears twice in the same mapping "
                                f"(first on line {seen[key_node.value]})",
                                "keep one of them",
                            )
                        )
                    else:
                        seen[key_node.value] = line
                stack.append(value_node)
        elif isinstance(node, yaml.SequenceNode):
            stack.extend(node.value)
    return sorted(problems)


def pydantic_problems(
    document: YamlDocument, error: Any, model: type | None = None
) -> list[Problem]:
    """Turn a pydantic `ValidationError` about `document.data` into problems with lines."""
    problems = []
    for item in error.errors(include_url=False, include_input=False):
        kind = item.get("type", "")
        location = given = tuple(item.get("loc", ()))
        tag = str((item.get("ctx") or {}).get("discriminator", "")).strip("'")
        if kind.startswith("union_tag") and tag:
            location = (*location, tag)  # point at `regime:` itself
        location = document.resolved(location)
        where = _dotted(location) or "the file"
        message = item.get("msg", "invalid")
        if kind == "missing":
            problem = f"`{where}` is missing"
            fix = f"add `{location[-1]}`" if location else "add the missing field"
        elif kind == "extra_forbidden":
            problem = f"`{where}` is not a known field"
            allowed = _allowed_fields(model, given[:-1]) if model else []
            fix = "remove it or correct its spelling" + (
                f" (allowed here: {', '.join(allowed)})" if allowed else ""
            )
        else:
            problem = f"`{where}`: {message[:1].lower() + message[1:]}"
            fix = _FIXES.get(kind, _FIXES.get(kind.split("_", 1)[0], "correct the value"))
        problems.append(Problem(document.path, document.line(location), problem, fix))
    return sorted(set(problems))


_FIXES = {
    "date": "write the date as YYYY-MM-DD",
    "literal": "use one of the values named",
    "enum": "use one of the values named",
    "union": "check the tagged field (e.g. `regime`) and the fields that go with it",
    "string": "write a text value that matches the expected form",
    "int": "write a whole number",
    "greater": "write a larger number",
    "less": "write a smaller number",
    "too": "change the number of entries",
    "list": "write a list (one `- item` per line)",
    "dict": "write a mapping (`key: value` lines)",
    "model": "write a mapping (`key: value` lines)",
    "bool": "write true or false",
    "value": "correct the value as the message says",
}


def _dotted(location: Location) -> str:
    text = ""
    for part in location:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text


def _allowed_fields(model: type, location: Location) -> list[str]:
    """The field names the model at `location` accepts, for an 'unknown field' fix."""
    import typing

    from pydantic import BaseModel

    current: Any = model
    for part in location:
        current = _unwrap(current)
        if isinstance(current, list):  # a union: the tag names the member
            current = next((m for m in current if _tag_matches(m, part)), current)
            continue
        if isinstance(part, int):
            args = typing.get_args(current)
            current = args[0] if args else current
            continue
        if isinstance(current, type) and issubclass(current, BaseModel):
            field = current.model_fields.get(str(part))
            if field is None:
                continue
            current = field.annotation
    current = _unwrap(current)
    if isinstance(current, type) and issubclass(current, BaseModel):
        return sorted(current.model_fields)
    return []


def _unwrap(annotation: Any) -> Any:
    import types
    import typing

    from pydantic import BaseModel

    origin = typing.get_origin(annotation)
    if origin is typing.Annotated:
        return _unwrap(typing.get_args(annotation)[0])
    if origin in (typing.Union, types.UnionType):
        members = [_unwrap(a) for a in typing.get_args(annotation) if a is not type(None)]
        models = [m for m in members if isinstance(m, type) and issubclass(m, BaseModel)]
        if len(members) == 1:
            return members[0]
        return models or annotation
    return annotation


def _tag_matches(model: Any, tag: Any) -> bool:
    import typing

    for field in getattr(model, "model_fields", {}).values():
        if typing.get_origin(field.annotation) is typing.Literal and tag in typing.get_args(
            field.annotation
        ):
            return True
    return False
