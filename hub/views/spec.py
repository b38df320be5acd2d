"""View specs as written in policies/views/*.yaml (pydantic, extra fields refused).

A view belongs to one agreement and reads only datasets of it. Field names are the columns of
the dataset table as hub/store/tables.py stores them (`date_of_birth` holds a pseudonym,
`date_of_birth_year_month` its generalised form); the check maps each back to the contract
column the agreement grants. Two kinds:

person     one row per person: a population (union of sources, one person key), other
           sources linked to each person by equal pseudonyms, counts per source.
aggregate  counts per group (e.g. LSOA and month) over one or more sources, protected with
           the agreement's min_cell_size by hub.views.disclosure_control.suppress.
forecast   next month's hot-spot cells of one place-level source (hub.views.forecast): crime
           types, cell unit, models, area budgets; its purpose must be the agreement's.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

Slug = Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9-]{0,99}$")]
Name = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]{0,62}$")]
Text = Annotated[str, StringConstraints(min_length=1, strip_whitespace=True)]

# Comparison operators a filter may use; `within_last_months` and `age_under` are relative
# to the day of the query, so that a view never needs editing to stay current.
Op = Literal["eq", "ne", "lt", "le", "gt", "ge", "in", "within_last_months", "age_under"]
CallerOp = Literal["eq", "ne", "lt", "le", "gt", "ge", "in"]


FORECAST_COLUMNS = ("rank", "forecast_count", "suppressed", "h3_cells")


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Filter(Strict):
    """A fixed row filter: `field op value`. `age_under` reads a year-month of birth."""

    field: Name
    op: Op
    value: Any


class Share(Strict):
    """Per person, over a source's rows: sum(parts) / sum(of) >= at_least (e.g. absence)."""

    parts: Annotated[list[Name], Field(min_length=1)]
    of: Name
    at_least: Annotated[float, Field(gt=0, le=1)]


class Source(Strict):
    alias: Name
    dataset: Slug
    where: list[Filter] = []
    having: Share | None = None  # person views: keeps only people over the share


class Person(Strict):
    key: Name = Field(description="The pseudonym that identifies a person in the population.")
    population: Annotated[list[Name], Field(min_length=1)]
    # Other sources find the person by any of these sets of equal pseudonyms.
    link: Annotated[list[Annotated[list[Name], Field(min_length=1)]], Field(min_length=1)]
    carry: list[Name] = Field(default=[], description="Fields kept per person (MAX).")
    where: list[Filter] = []  # on the carried fields, e.g. age_under
    # Each entry: the person appears in at least one of these sources.
    require: list[Annotated[list[Name], Field(min_length=1)]] = []


class PersonColumn(Strict):
    name: Name
    description: Text
    field: Name | None = Field(default=None, description="`person.<field>`: key or carried.")
    count: Name | None = Field(default=None, description="Rows of this source for the person.")


class Dimension(Strict):
    name: Name
    description: Text
    # Per source alias: the field, and how many leading characters to keep (7: YYYY-MM).
    sources: dict[Name, Name]
    first: Annotated[int, Field(ge=1, le=64)] | None = None


class Measure(Strict):
    name: Name
    description: Text
    source: Name  # the count of this source's rows


class Aggregate(Strict):
    dimensions: Annotated[list[Dimension], Field(min_length=1)]
    measures: Annotated[list[Measure], Field(min_length=1)]
    total: Name | None = Field(default=None, description="A column with the sum of measures.")


class ForecastModel(Strict):
    """One model to back-test: `last_n_months` (n), `ewma` (halflife), `kde` (bandwidth)."""

    model: Literal["last_n_months", "ewma", "kde"]
    n: Annotated[int, Field(ge=1, le=24)] | None = None
    halflife: Annotated[float, Field(gt=0, le=24)] | None = None
    bandwidth: Literal["cv"] | Annotated[float, Field(gt=0, le=5000)] | None = None


class ForecastFields(Strict):
    """The source's fields: month (YYYY-MM...), the point, the crime type, the area."""

    month: Name
    latitude: Name
    longitude: Name
    crime_type: Name | None = None
    area: Name | None = Field(default=None, description="For the disparity report (LSOA).")


class Forecast(Strict):
    fields: ForecastFields
    crime_types: list[Text] | None = Field(
        default=None, description="Default: the victim-reported types."
    )
    unit: Literal["h3:9", "h3:10"] = "h3:10"
    models: Annotated[list[ForecastModel], Field(min_length=1)]
    area_budget_pct: Annotated[
        list[Literal[1, 2, 5]], Field(min_length=1)
    ] = [1, 2, 5]  # fmt: skip
    horizon_months: Literal[1] = 1


class CallerFilter(Strict):
    column: Name
    ops: Annotated[list[CallerOp], Field(min_length=1)]


class ViewSpec(Strict):
    id: Slug
    title: Text
    description: Text
    agreement: Slug
    kind: Literal["person", "aggregate", "forecast"]
    purpose: Slug | None = Field(default=None, description="Forecasts: the agreement's purpose.")
    partners: Annotated[list[Slug], Field(min_length=1)]
    roles: Annotated[list[Literal["analyst"]], Field(min_length=1)]
    sources: Annotated[list[Source], Field(min_length=1)]
    person: Person | None = None
    columns: list[PersonColumn] = []
    aggregate: Aggregate | None = None
    forecast: Forecast | None = None
    filters: list[CallerFilter] = Field(default=[], description="Filters callers may pass.")

    def source(self, alias: str) -> Source | None:
        return next((s for s in self.sources if s.alias == alias), None)

    @property
    def column_names(self) -> list[str]:
        if self.kind == "person":
            return [c.name for c in self.columns]
        if self.kind == "forecast":
            return list(FORECAST_COLUMNS)
        assert self.aggregate is not None
        names = [d.name for d in self.aggregate.dimensions]
        names += [m.name for m in self.aggregate.measures]
        return names + ([self.aggregate.total] if self.aggregate.total else [])
