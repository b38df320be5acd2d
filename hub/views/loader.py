"""Load policies/views/*.yaml and check each view against its agreement and the contracts.

`check_views` finds every problem (file, line, what, fix); `load_views` raises `ViewProblems`,
a one-line `ConfigurationError` like the agreements', so that an invalid view stops the hub.
The rule that matters most: a view may read only fields the agreement grants to every
partner the view serves, for every share of the dataset (two schools share one table).
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from hub.agreements import POLICE_INITIATED_CRIME_TYPES, Agreement, Policies
from hub.contracts import (
    Problem,
    YamlDocument,
    YamlSyntaxError,
    duplicate_keys,
    one_line,
    pydantic_problems,
    read_yaml,
)
from hub.errors import ConfigurationError
from hub.store import Layout, layout_for
from hub.views.forecast.method import VICTIM_REPORTED
from hub.views.spec import ViewSpec

VIEWS_DIR = "views"


class ViewProblems(ConfigurationError):
    def __init__(self, problems: list[Problem]):
        self.problems = problems
        super().__init__(one_line(problems))


def load_views(policies_dir: Path, policies: Policies) -> dict[str, ViewSpec]:
    views, problems = check_views(policies_dir, policies)
    if problems:
        raise ViewProblems(problems)
    return views


def check_views(
    policies_dir: Path, policies: Policies
) -> tuple[dict[str, ViewSpec], list[Problem]]:
    """The views that loaded cleanly, and every problem in policies/views/. No folder: no views."""
    folder = Path(policies_dir) / VIEWS_DIR
    views: dict[str, ViewSpec] = {}
    problems: list[Problem] = []
    if not folder.is_dir():
        return views, problems
    for path in sorted(folder.iterdir()):
        if path.is_file() and path.suffix == ".yml":
            problems.append(
                Problem(path, 1, "not loaded: views end in .yaml", f"rename it to {path.stem}.yaml")
            )
            continue
        if not (path.is_file() and path.suffix == ".yaml"):
            continue
        try:
            document = read_yaml(path)
        except YamlSyntaxError as exc:
            problems.append(exc.problem)
            continue
        found = duplicate_keys(document)
        try:
            view = ViewSpec.model_validate(document.data)
        except ValidationError as exc:
            problems.extend(found + pydantic_problems(document, exc, ViewSpec))
            continue
        found.extend(_Checker(document, view, policies).run())
        if view.id in views:
            found.append(
                Problem(
                    path,
                    document.line(["id"]),
                    f"view id `{view.id}` is used twice",
                    "give each view its own id",
                )
            )
        problems.extend(found)
        if not found:
            views[view.id] = view
    return views, problems


class _Checker:
    def __init__(self, document: YamlDocument, view: ViewSpec, policies: Policies):
        self.document, self.view, self.policies = document, view, policies
        self.problems: list[Problem] = []
        self.layouts: dict[str, Layout] = {}  # by alias

    def problem(self, location: Iterable[Any], problem: str, fix: str) -> None:
        self.problems.append(
            Problem(self.document.path, self.document.line(tuple(location)), problem, fix)
        )

    def run(self) -> list[Problem]:
        v = self.view
        if v.id != self.document.path.stem:
            self.problem(
                ["id"],
                f"view id `{v.id}` is not the file's name",
                f"set `id: {self.document.path.stem}` or rename the file",
            )
        agreement = self.policies.agreements.get(v.agreement)
        if agreement is None:
            self.problem(
                ["agreement"],
                f"unknown agreement `{v.agreement}`",
                "name an agreement in policies/agreements/",
            )
            return self.problems
        for i, partner in enumerate(v.partners):
            if not agreement.has_role(partner, "recipient"):
                self.problem(
                    ["partners", i],
                    f"`{partner}` is not a recipient of `{agreement.id}`",
                    "serve a view only to the agreement's recipients",
                )
        self._sources(agreement)
        if v.kind == "person":
            self._person()
        elif v.kind == "forecast":
            self._forecast(agreement)
        else:
            self._aggregate()
        names = v.column_names if (v.person or v.aggregate) else []
        if len(set(names)) != len(names):
            self.problem(["columns"], "two columns share a name", "give each column its own name")
        for i, allowed in enumerate(v.filters):
            if allowed.column not in names:
                self.problem(
                    ["filters", i, "column"],
                    f"no column `{allowed.column}` to filter",
                    f"use one of: {', '.join(names)}",
                )
        return sorted(set(self.problems))

    def _sources(self, agreement: Agreement) -> None:
        seen: set[str] = set()
        for i, source in enumerate(self.view.sources):
            if source.alias in seen:
                self.problem(
                    ["sources", i, "alias"],
                    f"alias `{source.alias}` is used twice",
                    "give each source its own alias",
                )
            seen.add(source.alias)
            contract = self.policies.contracts.get(source.dataset)
            if not agreement.shares(dataset=source.dataset) or contract is None:
                self.problem(
                    ["sources", i, "dataset"],
                    f"agreement `{agreement.id}` does not share `{source.dataset}`",
                    "a view reads only datasets of its own agreement",
                )
                continue
            self.layouts[source.alias] = layout_for(agreement, contract)
            for j, f in enumerate(source.where):
                self.field(source.alias, f.field, ["sources", i, "where", j, "field"], agreement)
            if source.having:
                for name in [*source.having.parts, source.having.of]:
                    self.field(source.alias, name, ["sources", i, "having"], agreement)

    def field(
        self, alias: str, name: str, where: list[Any], agreement: Agreement | None = None
    ) -> None:
        """`name` must be a stored column of the source, granted to every partner served."""
        agreement = agreement or self.policies.agreements[self.view.agreement]
        layout = self.layouts.get(alias)
        if layout is None:
            return  # the source itself is wrong: said already
        contract = self.policies.contracts.get(layout.dataset)
        reference = contract.record_reference if contract else None
        if reference is not None and name in (reference.name, reference.physical_name):
            self.problem(
                where,
                f"`{alias}.{name}` is the source record reference of `{layout.dataset}`, which "
                "no view may read: it is revealed only through an approved re-identification",
                "remove the field from the view",
            )
            return
        column = next((c for c in layout.columns if c.name == name and c.role != "key"), None)
        if column is None:
            stored = [c.name for c in layout.columns if c.role != "key"]
            self.problem(
                where,
                f"`{alias}.{name}` is not a field of `{layout.dataset}` here",
                f"use one of: {', '.join(stored)}",
            )
            return
        for partner in self.view.partners:
            shares = agreement.shares(dataset=layout.dataset)
            granted = all(
                (r := s.recipient(partner)) is not None and column.source.name in r.fields
                for s in shares
            )
            if not granted:
                self.problem(
                    where,
                    f"`{alias}.{name}` reads `{column.source.name}` of `{layout.dataset}`, which "
                    f"agreement `{agreement.id}` does not grant to `{partner}`",
                    "remove the field, or the partner from `partners`, or change the agreement",
                )

    def _person(self) -> None:
        v, p = self.view, self.view.person
        if p is None or not v.columns or v.aggregate is not None:
            self.problem(
                ["kind"],
                "a person view needs `person` and `columns`, no `aggregate`",
                "add them, or set `kind: aggregate`",
            )
            return
        aliases = {s.alias for s in v.sources}
        carried = {p.key, *p.carry, *(f for group in p.link for f in group)}
        for i, alias in enumerate(p.population):
            if alias not in aliases:
                self.problem(
                    ["person", "population", i], f"no source `{alias}`", "name a source's alias"
                )
                continue
            for name in sorted(carried):
                self.field(alias, name, ["person", "population", i])
        for source in v.sources:
            if source.alias in p.population:
                continue
            for group in p.link:
                for name in group:
                    self.field(source.alias, name, ["person", "link"])
        for i, group in enumerate(p.require):
            for alias in group:
                if alias not in aliases:
                    self.problem(
                        ["person", "require", i], f"no source `{alias}`", "name a source's alias"
                    )
        for i, f in enumerate(p.where):
            if f.field not in carried:
                self.problem(
                    ["person", "where", i, "field"],
                    f"`{f.field}` is not carried",
                    "add it to `person.carry`",
                )
        for i, column in enumerate(v.columns):
            if (column.field is None) == (column.count is None):
                self.problem(
                    ["columns", i],
                    f"column `{column.name}` needs one of field, count",
                    "give `field: <carried field>` or `count: <source alias>`",
                )
            elif column.field is not None and column.field not in carried:
                self.problem(
                    ["columns", i, "field"],
                    f"`{column.field}` is not carried",
                    "add it to `person.carry`",
                )
            elif column.count is not None and column.count not in aliases:
                self.problem(
                    ["columns", i, "count"], f"no source `{column.count}`", "name a source's alias"
                )

    def _aggregate(self) -> None:
        v, a = self.view, self.view.aggregate
        if a is None or v.person is not None or v.columns:
            self.problem(
                ["kind"],
                "an aggregate view needs `aggregate`, no `person`/`columns`",
                "add it, or set `kind: person`",
            )
            return
        aliases = [s.alias for s in v.sources]
        for i, dim in enumerate(a.dimensions):
            if sorted(dim.sources) != sorted(aliases):
                self.problem(
                    ["aggregate", "dimensions", i, "sources"],
                    f"dimension `{dim.name}` must name a field of every source",
                    f"give a field for each of: {', '.join(aliases)}",
                )
            for alias, name in dim.sources.items():
                self.field(alias, name, ["aggregate", "dimensions", i, "sources", alias])
        for i, measure in enumerate(a.measures):
            if measure.source not in aliases:
                self.problem(
                    ["aggregate", "measures", i, "source"],
                    f"no source `{measure.source}`",
                    "name a source's alias",
                )

    def _forecast(self, agreement: Agreement) -> None:
        v, f = self.view, self.view.forecast
        if f is None or v.person is not None or v.columns or v.aggregate is not None:
            self.problem(
                ["kind"],
                "a forecast view needs `forecast`, no `person`/`columns`/`aggregate`",
                "add it, or set another kind",
            )
            return
        if v.purpose != agreement.purpose.id:
            self.problem(
                ["purpose"] if v.purpose else ["kind"],
                f"a forecast's purpose must be its agreement's (`{agreement.purpose.id}`), "
                f"not `{v.purpose}`",
                f"set `purpose: {agreement.purpose.id}`, or forecast under an agreement made "
                "for it",
            )
        if len(v.sources) != 1:
            self.problem(["sources"], "a forecast reads one source", "keep one source")
        if v.filters:
            self.problem(["filters"], "a forecast takes no caller filters", "remove `filters`")
        source = v.sources[0]
        layout = self.layouts.get(source.alias)
        if layout is None:
            return
        contract = self.policies.contracts[source.dataset]
        personal = contract.personal_data or any(
            c.role == "pseudonym" or c.source.is_identifier for c in layout.columns
        )
        if personal:
            self.problem(
                ["sources", 0, "dataset"],
                f"`{source.dataset}` holds records about people: the hub forecasts places, "
                "never people",
                "forecast from a place-level source such as police-street-crime",
            )
            return
        named = f.fields.model_dump(exclude_none=True)
        for key, name in named.items():
            self.field(source.alias, name, ["forecast", "fields", key])
        types = list(f.crime_types) if f.crime_types is not None else list(VICTIM_REPORTED)
        if f.crime_types is not None and f.fields.crime_type is None:
            self.problem(
                ["forecast", "crime_types"],
                "crime types need the source's crime type field",
                "add `forecast.fields.crime_type`",
            )
        assessed = set(agreement.dpia_forecast_crime_types)
        for i, kind in enumerate(types):
            if kind in VICTIM_REPORTED or kind in assessed:
                continue
            where = ["forecast", "crime_types", i]
            if kind in POLICE_INITIATED_CRIME_TYPES:
                self.problem(
                    where,
                    f"`{kind}` is police-initiated and agreement `{agreement.id}`'s DPIA "
                    f"({agreement.dpia_reference}) does not list it for forecasting",
                    "remove it, or assess it in the DPIA and add it to the agreement's "
                    "`dpia_forecast_crime_types`",
                )
            else:
                self.problem(
                    where,
                    f"`{kind}` is not a data.police.uk crime type",
                    f"use victim-reported types: {', '.join(VICTIM_REPORTED)}",
                )
        for i, model in enumerate(f.models):
            needs = {"last_n_months": "n", "ewma": "halflife", "kde": "bandwidth"}[model.model]
            given = {k for k in ("n", "halflife", "bandwidth") if getattr(model, k) is not None}
            if given != {needs}:
                self.problem(
                    ["forecast", "models", i],
                    f"`{model.model}` takes `{needs}` only",
                    f"write `{{model: {model.model}, {needs}: ...}}`",
                )
