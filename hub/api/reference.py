"""GET /api/v1/reference/lsoas: where each LSOA is, for maps. Open: public reference data,
no person and no agency's records in it. Audited like every /api/ request."""

from __future__ import annotations

from flask_openapi3 import APIBlueprint, Tag
from pydantic import BaseModel, Field

from hub import audit, reference

# Codes per request: a GET line stays under gunicorn's 4094-byte request-line limit.
MAX_CODES = 300

api = APIBlueprint(
    "reference",
    __name__,
    url_prefix="/api/v1/reference",
    abp_tags=[Tag(name="reference", description="Public reference data: LSOA points.")],
)


class LsoaQuery(BaseModel):
    codes: str | None = Field(
        default=None,
        pattern=rf"^[A-Z][0-9]{{8}}(,[A-Z][0-9]{{8}}){{0,{MAX_CODES - 1}}}$",
        description=f"Comma-separated LSOA codes (up to {MAX_CODES}); all LSOAs if absent. "
        "Codes the hub has no point for are left out of the answer.",
    )


class LsoaOut(BaseModel):
    code: str = Field(description="2021 LSOA code (GSS).")
    name: str
    latitude: float = Field(description="WGS84, the population-weighted centroid.")
    longitude: float


class LsoaList(BaseModel):
    items: list[LsoaOut]
    attribution: str = Field(description="Where the points come from; show it with the map.")


@api.get("/lsoas", responses={200: LsoaList})
def list_lsoas(query: LsoaQuery):
    """LSOA codes, names and points (WGS84) for drawing aggregate views on a map."""
    audit.note(action="reference.read", resource="reference:lsoas")
    ref = reference.current_reference()
    if query.codes:
        wanted = dict.fromkeys(query.codes.split(","))
        points = [ref.points[c] for c in wanted if c in ref.points]
    else:
        points = list(ref.points.values())
    audit.note(details={"asked": len(query.codes.split(",")) if query.codes else "all"})
    body = LsoaList(
        items=[LsoaOut(**p.__dict__) for p in points], attribution=ref.attribution
    ).model_dump(mode="json")
    return body, 200, {"Cache-Control": "public, max-age=3600"}
