"""Load `contracts/<provider kind>/<dataset>.yaml`: ODCS v3, checked, read into `Contract`s.

Each file is checked against the ODCS JSON Schema that ships with the
`open-data-contract-standard` package, parsed with its pydantic model, then checked for what
the hub needs (one table per contract, supported types, known custom properties, patterns
that compile). Every problem names the file, the line and the fix; nothing is skipped.
"""

from __future__ import annotations

import functools
import hashlib
import json
import re
from collections.abc import Callable
from datetime import date, datetime
from importlib import resources
from pathlib import Path
from typing import Any

from open_data_contract_standard.model import OpenDataContractStandard
from pydantic import ValidationError

from hub.contracts.model import (
    COLUMN_PROPERTIES,
    CONTRACT_PROPERTIES,
    DEFAULT_MAX_INVALID_FRACTION,
    GENERALISATIONS,
    IDENTIFIER_KINDS,
    LOGICAL_TYPES,
    PROVIDER_KINDS,
    QUALITY_METRICS,
    QUALITY_PROPERTIES,
    Column,
    Contract,
    QualityRule,
    normalise_column_name,
)
from hub.contracts.source import (
    Problem,
    YamlDocument,
    YamlSyntaxError,
    display_path,
    duplicate_keys,
    pydantic_problems,
    read_yaml,
)
from hub.errors import ConfigurationError

OPERATORS = (
    "mustBe",
    "mustNotBe",
    "mustBeGreaterThan",
    "mustBeGreaterOrEqualTo",
    "mustBeLessThan",
    "mustBeLessOrEqualTo",
    "mustBeBetween",
    "mustNotBeBetween",
)
_UNEXPECTED = re.compile(r"\('([^']+)'")
_PHYSICAL_NAME = re.compile(r"^[a-z][a-z0-9_]{0,62}$")
# JDK DateTimeFormatter letters the hub understands, and their strptime equivalents.
_DATE_TOKENS = {"yyyy": "%Y", "MM": "%m", "dd": "%d", "HH": "%H", "mm": "%M", "ss": "%S"}
_DATE_TOKEN = re.compile(r"yyyy|MM|dd|HH|mm|ss|[A-Za-z]+|[^A-Za-z]+")


class ContractProblems(ConfigurationError):
    """Contract files with problems; `problems` lists them all, the message names the first."""

    def __init__(self, problems: list[Problem]):
        self.problems = problems
        super().__init__(one_line(problems))


def one_line(problems: list[Problem]) -> str:
    more = len(problems) - 1
    suffix = f" (and {more} more: run `hub agreements check`)" if more else ""
    return f"{problems[0]}{suffix}"


def load_contracts(contracts_dir: Path) -> dict[str, Contract]:
    """Every contract under `contracts_dir`, by dataset; raises `ContractProblems` if any."""
    contracts, problems = check_contracts(contracts_dir)
    if problems:
        raise ContractProblems(problems)
    return contracts


def check_contracts(contracts_dir: Path) -> tuple[dict[str, Contract], list[Problem]]:
    """The contracts that loaded cleanly, and every problem found in any of them."""
    contracts_dir = Path(contracts_dir)
    problems: list[Problem] = []
    contracts: dict[str, Contract] = {}
    if not contracts_dir.is_dir():
        problems.append(
            Problem(
                contracts_dir,
                1,
                "the contracts folder does not exist",
                "create it, or set HUB_CONTRACTS_DIR to the folder that holds the contracts",
            )
        )
        return contracts, problems
    for path in sorted(p for p in contracts_dir.rglob("*") if p.is_file()):
        if path.suffix == ".yml":
            problems.append(
                Problem(
                    path, 1, "not loaded: contracts end in .yaml", f"rename it to {path.stem}.yaml"
                )
            )
            continue
        if path.suffix != ".yaml":
            continue
        relative = path.relative_to(contracts_dir)
        if len(relative.parts) != 2 or relative.parts[0] not in PROVIDER_KINDS:
            problems.append(
                Problem(
                    path,
                    1,
                    "not loaded: a contract lives at contracts/<provider kind>/<dataset>.yaml",
                    f"move it into one of the folders {', '.join(PROVIDER_KINDS)}",
                )
            )
            continue
        contract, found = check_contract_file(path)
        problems.extend(found)
        if contract is None:
            continue
        if contract.dataset in contracts:
            first = contracts[contract.dataset].source
            problems.append(
                Problem(
                    path,
                    1,
                    f"dataset `{contract.dataset}` is also defined in {display_path(first)}",
                    "give each dataset one contract file",
                )
            )
            continue
        contracts[contract.dataset] = contract
    return contracts, problems


def check_contract_file(path: Path) -> tuple[Contract | None, list[Problem]]:
    # Checking a contract against the ODCS JSON Schema is the slow part of starting an app;
    # a file whose bytes have not changed gives the same answer, so each process checks it
    # once (hub worker threads, gunicorn workers and the test suite build many apps).
    try:
        digest = hashlib.sha256(path.read_bytes()).hexdigest()
    except OSError:
        return _check_contract_file(path)
    contract, problems = _check_contract_file_cached(path, digest)
    return contract, list(problems)


@functools.lru_cache(maxsize=256)
def _check_contract_file_cached(
    path: Path, _digest: str
) -> tuple[Contract | None, tuple[Problem, ...]]:
    contract, problems = _check_contract_file(path)
    return contract, tuple(problems)


def _check_contract_file(path: Path) -> tuple[Contract | None, list[Problem]]:
    try:
        document = read_yaml(path)
    except YamlSyntaxError as exc:
        return None, [exc.problem]
    problems = duplicate_keys(document)
    if not isinstance(document.data, dict):
        problems.append(
            Problem(
                path,
                1,
                "the file does not hold an ODCS contract (a mapping)",
                "start from an example under contracts/",
            )
        )
        return None, problems
    problems.extend(_schema_problems(document))
    if problems:
        return None, problems
    try:
        odcs = OpenDataContractStandard.model_validate(document.data)
    except ValidationError as exc:
        return None, pydantic_problems(document, exc, OpenDataContractStandard)
    reader = _ContractReader(document, odcs)
    contract = reader.read()
    if reader.problems:
        return None, reader.problems
    return contract, []


@functools.cache
def _odcs_validator():
    from jsonschema import Draft201909Validator

    text = resources.files("open_data_contract_standard").joinpath("schema.json").read_text("utf-8")
    return Draft201909Validator(json.loads(text))


def _schema_problems(document: YamlDocument) -> list[Problem]:
    from jsonschema.exceptions import best_match

    found: dict[tuple, list] = {}
    for error in _odcs_validator().iter_errors(_jsonable(document.data)):
        detail = best_match([error, *error.context]) if error.context else error
        path = tuple(detail.absolute_path) or tuple(error.absolute_path)
        found.setdefault(path, []).append(detail)
    problems = []
    for path, errors in found.items():
        # A failed alternative leaves its properties "unevaluated": that is an echo, not news.
        if any(e.validator != "unevaluatedProperties" for e in errors):
            errors = [e for e in errors if e.validator != "unevaluatedProperties"]
        where = _dotted(list(path)) or "the top level"
        for error in errors:
            at = path
            stray = _UNEXPECTED.search(error.message)
            if error.validator in ("additionalProperties", "unevaluatedProperties") and stray:
                at = (*path, stray.group(1))  # point at the stray key itself
            problems.append(
                Problem(
                    document.path,
                    document.line(at),
                    f"not valid ODCS at `{where}`: {_message(error)}",
                    "correct it as the Open Data Contract Standard v3 schema says",
                )
            )
    return sorted(set(problems))


def _message(error) -> str:
    if error.validator == "oneOf" and "is valid under each of" in error.message:
        return (
            "more than one alternative applies where exactly one may "
            "(a quality rule takes one threshold)"
        )
    if error.validator in ("oneOf", "anyOf"):
        return "matches none of the forms the standard allows here"
    return _short(error.message)


def _jsonable(value: Any) -> Any:
    """YAML dates become strings, as they would be in JSON."""
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_jsonable(v) for v in value]
    if isinstance(value, datetime | date):
        return value.isoformat()
    return value


def _short(message: str, limit: int = 200) -> str:
    return message if len(message) <= limit else message[: limit - 1] + "…"


def _dotted(path: list[Any]) -> str:
    text = ""
    for part in path:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text


class _ContractReader:
    """Reads the hub's facts out of a valid ODCS document, noting each problem with its line."""

    def __init__(self, document: YamlDocument, odcs: OpenDataContractStandard):
        self.document = document
        self.odcs = odcs
        self.data: dict[str, Any] = document.data
        self.problems: list[Problem] = []

    def problem(self, location: list[Any], problem: str, fix: str) -> None:
        self.problems.append(
            Problem(self.document.path, self.document.line(location), problem, fix)
        )

    def read(self) -> Contract | None:
        path = self.document.path
        odcs = self.odcs
        if not str(odcs.apiVersion or "").startswith("v3."):
            self.problem(
                ["apiVersion"],
                f"apiVersion {odcs.apiVersion} is not ODCS v3",
                "write `apiVersion: v3.1.0` or later v3",
            )
        if odcs.id != path.stem:
            self.problem(
                ["id"],
                f"the contract id `{odcs.id}` is not the file's name `{path.stem}`",
                f"set `id: {path.stem}` or rename the file to {odcs.id}.yaml",
            )
        top = self._custom(["customProperties"], odcs.customProperties, CONTRACT_PROPERTIES)
        fraction = top.get("maxInvalidFraction", DEFAULT_MAX_INVALID_FRACTION)
        if not 0 <= fraction <= 1:
            self.problem(
                ["customProperties"],
                f"maxInvalidFraction {fraction} is not between 0 and 1",
                "write a fraction such as 0.01",
            )
        tables = odcs.schema_ or []
        if len(tables) != 1:
            self.problem(
                ["schema"],
                f"the contract has {len(tables)} schema objects; the hub needs exactly one (the "
                "table the provider sends)",
                "describe one table per contract file",
            )
            return None
        table = tables[0]
        columns = self._columns(table)
        quality = self._quality(["schema", 0, "quality"], table.quality or [], None, columns)
        for index, prop in enumerate(table.properties or []):
            quality.extend(
                self._quality(
                    ["schema", 0, "properties", index, "quality"],
                    prop.quality or [],
                    prop.name,
                    columns,
                )
            )
        named = {prop.name for prop in table.properties or []}
        row_identity = self._row_identity(top.get("rowIdentity", []), named)
        self._check_omittable(columns, quality, row_identity)
        self._check_aliases(columns)
        self._check_record_reference(columns)
        personal = bool(top.get("personalData", False))
        if not personal and any(c.is_identifier for c in columns.values()):
            self.problem(
                ["customProperties"],
                "the contract has identifier columns but does not say `personalData: true`",
                "add the custom property `personalData: true`",
            )
        description = odcs.description
        return Contract(
            dataset=str(odcs.id),
            version=str(odcs.version),
            title=odcs.name or table.businessName or str(odcs.id),
            description=(
                description.purpose if description and description.purpose else table.description
            )
            or "",
            provider_kind=path.parent.name,
            status=odcs.status or "",
            columns=tuple(columns.values()),
            quality=tuple(quality),
            personal_data=personal,
            special_category=bool(top.get("specialCategory", False)),
            criminal_offence_data=bool(top.get("criminalOffenceData", False)),
            max_invalid_fraction=float(fraction),
            odcs=odcs,
            source=path,
            sha256=self.document.sha256,
            row_identity=row_identity,
        )

    def _row_identity(self, names: list[str], columns: set[str]) -> tuple[str, ...]:
        unknown = [n for n in names if n not in columns]
        if unknown:
            self.problem(
                ["customProperties"],
                "rowIdentity names columns the contract does not have: "
                + ", ".join(f"`{n}`" for n in unknown),
                "list column names exactly as under `properties`",
            )
        if len(set(names)) != len(names):
            self.problem(["customProperties"], "rowIdentity names a column twice", "keep one")
        return tuple(n for n in names if n in columns)

    def _check_omittable(
        self, columns: dict[str, Column], quality: list[QualityRule], row_identity: tuple[str, ...]
    ) -> None:
        """A column a duplicate check reads must be in every file: a file without it would
        make every row look new."""
        checked = set(row_identity)
        for rule in quality:
            if rule.metric == "duplicateValues":
                checked.update(rule.arguments.get("properties") or ())
                if rule.column:
                    checked.add(rule.column)
        for index, column in enumerate(columns.values()):
            if column.may_be_omitted and column.name in checked:
                self.problem(
                    ["schema", 0, "properties", index, "customProperties"],
                    f"column `{column.name}` is used to find duplicate rows, so every file "
                    "must have it; it cannot be `mayBeOmitted`",
                    "remove `mayBeOmitted`",
                )

    def _check_record_reference(self, columns: dict[str, Column]) -> None:
        marked = [i for i, c in enumerate(columns.values()) if c.source_record_ref]
        for index in marked[1:]:
            self.problem(
                ["schema", 0, "properties", index, "customProperties"],
                "a contract names at most one source record reference (`sourceRecordRef`)",
                "keep `sourceRecordRef: true` on one column",
            )

    def _check_aliases(self, columns: dict[str, Column]) -> None:
        claimed: dict[str, str] = {normalise_column_name(n): n for n in columns}
        for index, column in enumerate(columns.values()):
            for alias in column.header_aliases:
                key = normalise_column_name(alias)
                owner = claimed.setdefault(key, column.name)
                if owner != column.name:
                    self.problem(
                        ["schema", 0, "properties", index, "customProperties"],
                        f"header alias `{alias}` of `{column.name}` would also match `{owner}`",
                        "give each column names that no other column's names match",
                    )

    def _custom(
        self, location: list[Any], items: list | None, known: dict[str, Any]
    ) -> dict[str, Any]:
        values: dict[str, Any] = {}
        for index, item in enumerate(items or []):
            where = [*location, index]
            if item.vendor and item.vendor != "hub":
                continue  # another tool's property: kept in the document, not ours to read
            if item.property not in known:
                self.problem(
                    [*where, "property"],
                    f"unknown custom property `{item.property}`",
                    f"use one of {', '.join(known)} here, or set `vendor:` if it belongs to "
                    "another tool",
                )
                continue
            if item.property in values:
                self.problem(
                    [*where, "property"],
                    f"custom property `{item.property}` is given twice",
                    "keep one",
                )
                continue
            expected = known[item.property]
            if expected is list:
                valid = isinstance(item.value, list) and all(
                    isinstance(v, str) and v.strip() for v in item.value
                )
            else:
                valid = isinstance(item.value, expected) and (
                    expected is bool or not isinstance(item.value, bool)
                )
            if not valid:
                kind = {bool: "true or false", str: "text", list: "a list of names"}.get(
                    expected, "a number"
                )
                self.problem(
                    [*where, "value"],
                    f"custom property `{item.property}` must be {kind}",
                    f"write {kind}",
                )
                continue
            values[item.property] = item.value
        return values

    def _columns(self, table) -> dict[str, Column]:
        columns: dict[str, Column] = {}
        physical: dict[str, str] = {}
        base = ["schema", 0, "properties"]
        if not table.properties:
            self.problem(
                ["schema", 0],
                "the table has no properties (columns)",
                "list each column under `properties`",
            )
        for index, prop in enumerate(table.properties or []):
            where = [*base, index]
            name = prop.name or ""
            if name in columns:
                self.problem([*where, "name"], f"column `{name}` is listed twice", "keep one")
                continue
            column = self._column(where, prop)
            if column is None:
                continue
            if column.physical_name in physical:
                self.problem(
                    [*where, "physicalName"],
                    f"columns `{physical[column.physical_name]}` and `{name}` share the table "
                    f"column `{column.physical_name}`",
                    "give each a distinct physicalName",
                )
                continue
            physical[column.physical_name] = name
            columns[name] = column
        return columns

    def _column(self, where: list[Any], prop) -> Column | None:
        before = len(self.problems)
        name = prop.name or ""
        physical_name = prop.physicalName or name
        if not _PHYSICAL_NAME.match(physical_name):
            self.problem(
                [*where, "physicalName" if prop.physicalName else "name"],
                f"column `{name}` has no usable table column name (`{physical_name}`)",
                "add `physicalName:` in lower snake_case, e.g. crime_id",
            )
        logical = prop.logicalType
        if logical not in LOGICAL_TYPES:
            self.problem(
                [*where, "logicalType"],
                f"column `{name}` has logicalType `{logical}`, which a tabular feed cannot carry"
                if logical
                else f"column `{name}` has no logicalType",
                f"use one of {', '.join(LOGICAL_TYPES)}",
            )
        options = prop.logicalTypeOptions or {}
        pattern = options.get("pattern")
        if pattern is not None:
            try:
                re.compile(pattern)
            except re.error as exc:
                self.problem(
                    [*where, "logicalTypeOptions", "pattern"],
                    f"the pattern for `{name}` does not compile: {exc}",
                    "correct the regular expression",
                )
        fmt = options.get("format")
        if (
            logical in ("date", "timestamp", "time")
            and fmt is not None
            and strptime_format(fmt) is None
        ):
            self.problem(
                [*where, "logicalTypeOptions", "format"],
                f"date format `{fmt}` for `{name}` is not one the hub reads",
                "use the letters yyyy, MM, dd, HH, mm, ss and separators (e.g. yyyy-MM-dd)",
            )
        custom = self._custom(
            [*where, "customProperties"], prop.customProperties, COLUMN_PROPERTIES
        )
        kind = custom.get("identifierKind")
        if kind is not None and kind not in IDENTIFIER_KINDS:
            self.problem(
                [*where, "customProperties"],
                f"identifierKind `{kind}` is not known",
                f"use one of {', '.join(IDENTIFIER_KINDS)}",
            )
        pseudonymise = bool(custom.get("pseudonymise", False))
        if kind is not None and not pseudonymise:
            self.problem(
                [*where, "customProperties"],
                f"identifier column `{name}` is not pseudonymised (raw identifiers never reach "
                "the database)",
                "add the custom property `pseudonymise: true`",
            )
        if pseudonymise and kind is None:
            self.problem(
                [*where, "customProperties"],
                f"column `{name}` is pseudonymised but has no identifierKind to normalise it by",
                f"add `identifierKind:` ({', '.join(IDENTIFIER_KINDS)})",
            )
        generalise = custom.get("generalise")
        if generalise is not None:
            if generalise not in GENERALISATIONS:
                self.problem(
                    [*where, "customProperties"],
                    f"generalise `{generalise}` is not known",
                    f"use one of {', '.join(GENERALISATIONS)}",
                )
            elif generalise.startswith("postcode") and kind != "postcode":
                self.problem(
                    [*where, "customProperties"],
                    f"`{name}` is not a postcode, so it cannot be generalised to `{generalise}`",
                    "use year or year_month for dates, or remove it",
                )
            elif generalise.startswith("year") and logical not in ("date", "timestamp"):
                self.problem(
                    [*where, "customProperties"],
                    f"`{name}` is not a date, so it cannot be generalised to `{generalise}`",
                    "remove it, or make the column a date",
                )
        may_be_omitted = bool(custom.get("mayBeOmitted", False))
        if may_be_omitted and (prop.required or prop.unique or kind is not None):
            why = "required" if prop.required else "unique" if prop.unique else "an identifier"
            self.problem(
                [*where, "customProperties"],
                f"column `{name}` is {why}, so every file must have it; it cannot be "
                "`mayBeOmitted`",
                "remove `mayBeOmitted`",
            )
        record_ref = bool(custom.get("sourceRecordRef", False))
        if record_ref and (kind is not None or pseudonymise or generalise is not None):
            self.problem(
                [*where, "customProperties"],
                f"column `{name}` is the source record reference, which is kept as the provider "
                "sent it (encrypted); it cannot also be an identifier, pseudonymised or "
                "generalised",
                "mark the provider's own row reference (e.g. a crime reference), not a person "
                "identifier",
            )
        if record_ref and logical != "string":
            self.problem(
                [*where, "logicalType"],
                f"the source record reference `{name}` must be a string column",
                "write `logicalType: string`",
            )
        enum = tuple(str(item.value) for item in prop.enum or [])
        if len(self.problems) > before:
            return None
        return Column(
            name=name,
            physical_name=physical_name,
            logical_type=str(logical),
            required=bool(prop.required),
            unique=bool(prop.unique),
            description=prop.description or "",
            classification=prop.classification,
            pattern=pattern,
            format=fmt,
            timezone=options.get("timezone"),
            min_length=options.get("minLength"),
            max_length=options.get("maxLength"),
            minimum=options.get("minimum"),
            maximum=options.get("maximum"),
            exclusive_minimum=options.get("exclusiveMinimum"),
            exclusive_maximum=options.get("exclusiveMaximum"),
            enum=enum,
            examples=tuple(prop.examples or ()),
            identifier_kind=kind,
            pseudonymise=pseudonymise,
            generalise=generalise,
            may_be_omitted=may_be_omitted,
            header_aliases=tuple(custom.get("headerAliases", ())),
            source_record_ref=record_ref,
        )

    def _quality(
        self, location: list[Any], rules: list, column: str | None, columns: dict[str, Column]
    ) -> list[QualityRule]:
        compiled = []
        for index, rule in enumerate(rules):
            where = [*location, index]
            if rule.type == "text":
                continue  # prose for people: nothing to run
            if rule.type in ("sql", "custom"):
                self.problem(
                    [*where, "type"],
                    f"quality rules of type `{rule.type}` cannot be run by the hub",
                    f"use a library rule (metric: {', '.join(QUALITY_METRICS)}) or `type: text`",
                )
                continue
            check = _QualityCheck(self, where, rule, column, columns)
            built = check.build()
            if built is not None:
                compiled.append(built)
        return compiled


class _QualityCheck:
    def __init__(
        self,
        reader: _ContractReader,
        where: list[Any],
        rule,
        column: str | None,
        columns: dict[str, Column],
    ):
        self.reader, self.where, self.rule, self.column, self.columns = (
            reader,
            where,
            rule,
            column,
            columns,
        )

    def build(self) -> QualityRule | None:
        rule, where = self.rule, self.where
        metric = rule.metric or rule.rule
        problem: Callable[..., None] = self.reader.problem
        if metric not in QUALITY_METRICS:
            problem(
                [*where, "metric"],
                f"quality metric `{metric}` is not one the hub runs",
                f"use one of {', '.join(QUALITY_METRICS)}",
            )
            return None
        operator = next((op for op in OPERATORS if getattr(rule, op) is not None), None)
        if operator is None:
            problem(
                where,
                f"quality rule `{metric}` has no threshold",
                "add one of mustBe, mustBeLessOrEqualTo, ...",
            )
            return None
        threshold = getattr(rule, operator)
        unit = rule.unit or "rows"
        arguments = dict(rule.arguments or {})
        custom = self.reader._custom(
            [*where, "customProperties"], rule.customProperties, QUALITY_PROPERTIES
        )
        if metric == "rowCount" and self.column is not None:
            problem(
                [*where, "metric"],
                "rowCount is a rule for the whole table",
                "move it to the table's `quality`",
            )
            return None
        if metric == "rowCount" and operator in ("mustNotBe", "mustNotBeBetween"):
            problem(
                [*where, operator],
                f"rowCount with {operator} cannot be checked",
                "state the range the count must be in",
            )
            return None
        if metric != "rowCount":
            if unit not in ("rows", "percent"):
                problem(
                    [*where, "unit"],
                    f"unit `{unit}` is not rows or percent",
                    "write `unit: percent` or `unit: rows`",
                )
                return None
            if operator not in ("mustBe", "mustBeLessOrEqualTo", "mustBeLessThan"):
                problem(
                    [*where, operator],
                    f"`{metric}` counts bad rows, so it needs an upper bound",
                    "use mustBe, mustBeLessThan or mustBeLessOrEqualTo",
                )
                return None
            if unit == "rows" and threshold != 0:
                problem(
                    [*where, operator],
                    f"`{metric}` in rows can only be required to be 0",
                    "write the allowance in percent (`unit: percent`)",
                )
                return None
        if self.column is None and metric in ("nullValues", "missingValues", "invalidValues"):
            problem(
                [*where, "metric"],
                f"`{metric}` belongs on a column",
                "move it into the column's `quality`",
            )
            return None
        if metric == "duplicateValues" and self.column is None:
            names = arguments.get("properties")
            if not isinstance(names, list) or not names:
                problem(
                    [*where, "arguments"],
                    "a table duplicateValues rule needs the columns to compare",
                    "add `arguments: {properties: [col, ...]}`",
                )
                return None
            missing = [n for n in names if n not in self.columns]
            if missing:
                problem(
                    [*where, "arguments"],
                    f"duplicateValues names unknown columns: {', '.join(missing)}",
                    "name columns of this contract",
                )
                return None
        if metric == "invalidValues" and not ({"validValues", "pattern"} & set(arguments)):
            problem(
                [*where, "arguments"],
                "invalidValues needs `validValues` or `pattern` in its arguments",
                "add `arguments: {validValues: [...]}`",
            )
            return None
        if "pattern" in arguments:
            try:
                re.compile(str(arguments["pattern"]))
            except re.error as exc:
                problem(
                    [*where, "arguments"],
                    f"the pattern does not compile: {exc}",
                    "correct the regular expression",
                )
                return None
        return QualityRule(
            metric=metric,
            column=self.column,
            operator=operator,
            threshold=threshold,
            unit=unit,
            arguments=arguments,
            blocking=bool(custom.get("blocking", True)),
            name=rule.name
            or rule.id
            or f"{metric}{'(' + self.column + ')' if self.column else ''}",
            description=rule.description or "",
        )


def strptime_format(jdk_format: str) -> str | None:
    """A JDK DateTimeFormatter pattern (yyyy-MM-dd) as a strptime format, or None."""
    out = []
    for token in _DATE_TOKEN.findall(jdk_format):
        if token in _DATE_TOKENS:
            out.append(_DATE_TOKENS[token])
        elif token.isalpha():
            return None
        else:
            out.append(token.replace("%", "%%"))
    return "".join(out)
