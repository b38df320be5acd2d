"""A synthetic Northshire: residents and every agency's feed, for the demo and for tests.

    population = make_population(size=20_000, seed=2026)
    files = write_feeds("instance/demo-feeds", population, seed=2026)

    python -m hub.synthetic OUT_DIR [--size N] [--seed S]

Deterministic: the same size, seed and date give byte-identical files. Every person, place
and identifier is fictional (NHS numbers from the 999 test range, UPNs of local authority
999, postcodes in the unused area NX, LSOAs E01999001..E01999060). A cohort of young people
appears across several agencies' feeds; each feed carries a few known flaws (`Flaw`), and
the rejected ones stay well under the contract's limit, so every feed publishes.

Not part of the spine: nothing in the hub imports this package.
"""

from hub.synthetic.dates import DEFAULT_TODAY
from hub.synthetic.feeds import (
    EARLY_INTERVENTION,
    GENERATORS,
    HOTSPOTS,
    UPLOADS,
    FeedFile,
    make_feeds,
    write_feeds,
)
from hub.synthetic.flaws import IDENTIFIER, ROW_CHECK, Flaw
from hub.synthetic.geography import HOT_SPOTS, LSOAS, HotSpot, Lsoa
from hub.synthetic.population import (
    AE_ASSAULT,
    ASB_SUBJECT,
    CHILDRENS_SERVICES,
    DEFAULT_SEED,
    DEFAULT_SIZE,
    EXCLUSION,
    MIN_SIGNALS,
    PERSISTENT_ABSENCE,
    POLICE_CONTACT,
    SCHOOLS,
    SIGNALS,
    Resident,
    make_population,
)
from hub.synthetic.records import Feed

__all__ = [
    "AE_ASSAULT",
    "ASB_SUBJECT",
    "CHILDRENS_SERVICES",
    "DEFAULT_SEED",
    "DEFAULT_SIZE",
    "DEFAULT_TODAY",
    "EARLY_INTERVENTION",
    "EXCLUSION",
    "GENERATORS",
    "HOTSPOTS",
    "HOT_SPOTS",
    "IDENTIFIER",
    "LSOAS",
    "MIN_SIGNALS",
    "PERSISTENT_ABSENCE",
    "POLICE_CONTACT",
    "ROW_CHECK",
    "SCHOOLS",
    "SIGNALS",
    "UPLOADS",
    "Feed",
    "FeedFile",
    "Flaw",
    "HotSpot",
    "Lsoa",
    "Resident",
    "make_feeds",
    "make_population",
    "write_feeds",
]
