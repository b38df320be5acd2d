"""Northshire: a fictional local authority with 60 LSOAs, their postcodes and map points.

Nothing here is a real place. The LSOA codes E01999001..E01999060 are above every code ONS
has issued (English LSOAs stop near E01036000), the postcode area "NX" is not a UK postcode
area (the letters pass the BS 7666 rules the hub checks, so the postcodes are valid in form
only), and the town sits in the North Sea off the Yorkshire coast, inside the UK bounds the
contracts check, so that no generated point falls on anyone's home.

The geography is the same whatever the seed: the demo's map and its hot spots do not move.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

AUTHORITY = "Northshire"
POLICE_FORCE = "Northshire Police"
POSTCODE_AREA = "NX"
_CENTRE = (54.4500, 0.9000)  # latitude, longitude of the town centre
_LAT_STEP, _LON_STEP = 0.009, 0.015  # about 1 km each way between LSOA centres
# Inward-code letters the BS 7666 rules allow (never C, I, K, M, O, V).
_INWARD_LETTERS = "ABDEFGHJLNPQRSTUWXYZ"
# One postcode district per MSOA, in MSOA order; the outer MSOAs share a district as rural
# districts do. The town centre (MSOA 008) is NX1.
_DISTRICTS = (5, 6, 7, 8, 9, 10, 2, 1, 3, 11, 12, 4, 4, 11, 12)

# fmt: off
_STREETS = (
    "High Street", "Station Road", "Church Lane", "Mill Road", "Victoria Street",
    "Queen Street", "Park Road", "Market Place", "Bridge Street", "Chapel Row",
    "Albert Terrace", "Harbour Road", "Ropery Lane", "Fishergate", "Castle View",
    "Northgate", "Southgate", "Westgate", "Eastfield Road", "Moor Lane", "Beacon Rise",
    "Coble Way", "Saltburn Walk", "Tern Close", "Gull Street", "Lighthouse Road",
    "Anchor Yard", "Jetty Lane", "Dock Street", "Foundry Road", "Colliery Row",
    "Kingfisher Drive", "Heron Way", "Willow Grove", "Ash Crescent", "Beech Avenue",
    "Elm Close", "Oak Terrace", "Rowan Court", "Hawthorn Road", "Larch Walk",
    "Sycamore Way", "Cedar Drive", "Maple Street", "Hazel Grove", "Linden Road",
    "Orchard Way", "Meadow Lane", "Brook Street", "Fell View", "Dale Road",
    "Sandpiper Close", "Curlew Drive", "Puffin Way", "Seaview Terrace", "Cliff Road",
    "Promenade", "Pier Approach", "Esplanade", "Shore Road", "Dune Walk", "Marsh Lane",
    "Ferry Road", "Tollgate", "Turnpike Lane", "Forge Lane", "Tannery Row", "Smithy Lane",
    "Wheelwright Way", "Cooper Street", "Mason Road", "Weaver Close", "Spinner Way",
    "Draper Street", "Chandler Row", "Glover Lane", "Baker Street", "Miller Close",
    "Shepherd Way", "Warren Road", "Garth Lane", "Croft Street", "Holme Road",
    "Ings Lane", "Carr Road", "Beck Side", "Gill Lane", "Thwaite Road", "Wold View",
    "Riverside Walk", "Hill Crest", "Prospect Place", "Union Street", "Commercial Road",
    "Wellington Street", "Nelson Street", "Trafalgar Road", "Balmoral Road",
    "Windsor Terrace", "York Road", "Durham Street", "Whitby Road", "Raven Lane",
    "Falcon Way", "Kestrel Close", "Swallow Street", "Lark Rise", "Skylark Way",
)
# Places as data.police.uk names them when a street would identify a home.
_POINTS_OF_INTEREST = (
    "Supermarket", "Parking Area", "Petrol Station", "Shopping Area", "Nightclub",
    "Sports/Recreation Area", "Bus/Coach Station", "Further/Higher Educational Building",
    "Park/Open Space", "Pedestrian Subway", "Theatre/Concert Hall", "Hospital",
)
# fmt: on


@dataclass(frozen=True)
class Place:
    """An anonymised map point, as data.police.uk publishes: "On or near <name>"."""

    name: str
    latitude: float
    longitude: float

    @property
    def location(self) -> str:
        return f"On or near {self.name}"


@dataclass(frozen=True)
class Lsoa:
    code: str
    name: str
    district: str  # postcode district, e.g. "NX4"
    latitude: float
    longitude: float
    deprivation_decile: int  # 1 most deprived .. 10 least
    school: str  # the partner secondary school whose catchment this is
    postcodes: tuple[str, ...]
    streets: tuple[str, ...]
    places: tuple[Place, ...]


@dataclass(frozen=True)
class HotSpot:
    """Where crime, ASB and assaults concentrate, and what kind happens there."""

    lsoa: str  # LSOA name
    character: str  # night_time_economy | retail | estate | park
    weight: float  # share of located incidents drawn to it


HOT_SPOTS = (
    HotSpot("Northshire 008A", "night_time_economy", 0.13),
    HotSpot("Northshire 008B", "retail", 0.09),
    HotSpot("Northshire 003C", "estate", 0.09),
    HotSpot("Northshire 012D", "estate", 0.08),
    HotSpot("Northshire 009A", "park", 0.06),
)


def _build() -> tuple[Lsoa, ...]:
    rng = random.Random("northshire geography v1")
    streets = list(_STREETS)
    rng.shuffle(streets)
    estates = {h.lsoa for h in HOT_SPOTS if h.character == "estate"}
    lsoas, used_postcodes, sectors = [], set(), {}
    for index in range(60):
        msoa, letter = divmod(index, 4)
        block_x, block_y = msoa % 5, msoa // 5
        col, row = 2 * block_x + letter % 2, 2 * block_y + letter // 2
        name = f"{AUTHORITY} {msoa + 1:03d}{'ABCD'[letter]}"
        district = f"{POSTCODE_AREA}{_DISTRICTS[msoa]}"
        latitude = _CENTRE[0] + (2.5 - row) * _LAT_STEP
        longitude = _CENTRE[1] + (col - 4.5) * _LON_STEP
        # A postcode sector per LSOA within its district, as postcodes nest in practice.
        sector = sectors[district] = sectors.get(district, 0) + 1
        postcodes = []
        while len(postcodes) < 8:
            code = f"{district} {sector}{rng.choice(_INWARD_LETTERS)}{rng.choice(_INWARD_LETTERS)}"
            if code not in used_postcodes:
                used_postcodes.add(code)
                postcodes.append(code)
        own_streets = tuple(streets[(index * 2 + k) % len(streets)] for k in range(4))
        places = tuple(
            Place(
                label,
                round(latitude + rng.uniform(-0.0035, 0.0035), 6),
                round(longitude + rng.uniform(-0.006, 0.006), 6),
            )
            for label in own_streets[:3] + tuple(rng.sample(_POINTS_OF_INTEREST, 2))
        )
        decile = 1 if name in estates else max(1, min(10, 1 + abs(row - 3) + rng.randint(0, 6)))
        lsoas.append(
            Lsoa(
                code=f"E01999{index + 1:03d}",
                name=name,
                district=district,
                latitude=round(latitude, 6),
                longitude=round(longitude, 6),
                deprivation_decile=decile,
                school="hillcrest-high-school" if col < 5 else "riverside-academy",
                postcodes=tuple(postcodes),
                streets=own_streets,
                places=places,
            )
        )
    return tuple(lsoas)


LSOAS: tuple[Lsoa, ...] = _build()
LSOA_BY_NAME = {lsoa.name: lsoa for lsoa in LSOAS}
LSOA_BY_CODE = {lsoa.code: lsoa for lsoa in LSOAS}
LSOA_BY_POSTCODE = {postcode: lsoa for lsoa in LSOAS for postcode in lsoa.postcodes}
HOT_SPOT_LSOAS = tuple(LSOA_BY_NAME[h.lsoa] for h in HOT_SPOTS)
CHARACTER = {LSOA_BY_NAME[h.lsoa].code: h.character for h in HOT_SPOTS}


def incident_lsoa(rng: random.Random, *, hot_share: float = 1.0) -> Lsoa:
    """An LSOA for an incident: the hot spots take their weights (scaled by `hot_share`),
    the other LSOAs share the rest, more of it where deprivation is higher."""
    if rng.random() < sum(h.weight for h in HOT_SPOTS) * hot_share:
        return rng.choices(HOT_SPOT_LSOAS, weights=[h.weight for h in HOT_SPOTS])[0]
    return rng.choices(LSOAS, weights=_BACKGROUND_WEIGHTS)[0]


_BACKGROUND_WEIGHTS = tuple(12 - lsoa.deprivation_decile for lsoa in LSOAS)
