"""`hub agreements check` and the start-up check: every problem names the file, the line and
the fix. Each broken case edits a copy of the shipped policies and contracts in tmp_path."""

import shutil
from dataclasses import dataclass
from pathlib import Path

import pytest
from click.testing import CliRunner

from hub.agreements import check_policies, load_policies
from hub.cli.agreements import cli
from hub.errors import ConfigurationError
from hub.settings import PROJECT_ROOT
from tests.conftest import make_settings

POLICIES = PROJECT_ROOT / "policies"
CONTRACTS = PROJECT_ROOT / "contracts"
HOTSPOTS = "policies/agreements/crime-asb-hotspots.yaml"
EARLY = "policies/agreements/early-intervention-young-people.yaml"
PARTNERS = "policies/partners.yaml"
STREET = "contracts/police/police-street-crime.yaml"
ATTENDANCE = "contracts/school/school-attendance.yaml"
CONTACTS = "contracts/police/police-contacts.yaml"


@pytest.fixture
def tree(tmp_path) -> Path:
    """A copy of the shipped policies/ and contracts/ to break."""
    shutil.copytree(POLICIES, tmp_path / "policies")
    shutil.copytree(CONTRACTS, tmp_path / "contracts")
    return tmp_path


def edit(root: Path, name: str, old: str, new: str) -> None:
    path = root / name
    text = path.read_text()
    assert text.count(old) == 1, f"{old!r} is not once in {name}"
    path.write_text(text.replace(old, new))


def line_of(root: Path, name: str, needle: str, occurrence: int = 1) -> int:
    seen = 0
    for number, line in enumerate((root / name).read_text().splitlines(), start=1):
        if needle in line:
            seen += 1
            if seen == occurrence:
                return number
    raise AssertionError(f"{needle!r} not in {name}")


def problems_in(root: Path) -> list[str]:
    result = check_policies(root / "policies", root / "contracts")
    return [str(p) for p in result.problems]


def test_the_shipped_policies_and_contracts_pass():
    result = check_policies(POLICIES, CONTRACTS)
    assert result.problems == []
    policies = result.policies
    assert set(policies.partners) == {
        "northshire-police",
        "northshire-council",
        "northshire-hospitals",
        "riverside-academy",
        "hillcrest-high-school",
        "westshire-council",
        "northshire-data-hub",
    }
    assert set(policies.agreements) == {"early-intervention-young-people", "crime-asb-hotspots"}
    assert len(policies.contracts) == 8
    # Every dataset an agreement names has a contract.
    for agreement in policies.agreements.values():
        for share in agreement.datasets:
            assert share.dataset in policies.contracts


def test_identifier_columns_carry_their_kind():
    contracts = load_policies(POLICIES, CONTRACTS).contracts
    kinds = {
        name: {c.name: c.identifier_kind for c in contract.identifier_columns}
        for name, contract in contracts.items()
    }
    assert kinds["police-contacts"]["pnc_id"] == "pnc_id"
    assert kinds["police-contacts"]["nhs_number"] == "nhs_number"
    assert kinds["police-contacts"]["date_of_birth"] == "date_of_birth"
    assert kinds["school-attendance"]["upn"] == "upn"
    assert kinds["school-exclusions"]["upn"] == "upn"
    assert kinds["nhs-ae-attendances"]["nhs_number"] == "nhs_number"
    assert kinds["council-childrens-services"]["postcode"] == "postcode"
    assert kinds["council-asb-reports"]["subject_surname"] == "person_name"
    assert kinds["police-street-crime"] == {} and kinds["police-stop-search"] == {}
    for contract in contracts.values():
        assert all(c.pseudonymise for c in contract.identifier_columns)


@dataclass(frozen=True)
class Broken:
    name: str
    file: str
    old: str
    new: str
    message: str
    # The line the problem is on: the line of this text in the edited file.
    at: str
    occurrence: int = 1


BROKEN = [
    Broken(
        "yaml syntax",
        HOTSPOTS,
        "title: Crime and ASB hot spots",
        "title: [Crime and ASB hot spots",
        "invalid YAML",
        "purpose:",
    ),
    Broken(
        "unknown top-level field",
        HOTSPOTS,
        "min_cell_size: 5",
        "min_cell_size: 5\nminimum_cell_size: 5",
        "`minimum_cell_size` is not a known field — remove it or correct its spelling "
        "(allowed here: datasets,",
        "minimum_cell_size",
    ),
    Broken(
        "unknown field in a lawful basis",
        HOTSPOTS,
        "    article10: true\n",
        "    article10: true\n    colour: red\n",
        "`lawful_basis[1].colour` is not a known field — remove it or correct its spelling "
        "(allowed here: article10, article6, article9, legislation, notes, provider, regime, "
        "schedule1)",
        "colour: red",
    ),
    Broken(
        "wrong type",
        HOTSPOTS,
        "retention_days: 365",
        "retention_days: a year",
        "`retention_days`: input should be a valid integer",
        "retention_days",
    ),
    Broken(
        "missing field",
        HOTSPOTS,
        "dpia_reference: DPIA-NP-2025-007\n",
        "",
        "`dpia_reference` is missing — add `dpia_reference`",
        "id: crime-asb-hotspots",
    ),
    Broken(
        "article 6 basis not in the list",
        EARLY,
        "article6: 6(1)(e)        # public task",
        "article6: public task",
        "`lawful_basis[1].article6`: input should be '6(1)(a)'",
        "article6: public task",
    ),
    Broken(
        "unknown regime",
        HOTSPOTS,
        "regime: uk-gdpr",
        "regime: gdpr",
        "`lawful_basis[1].regime`: input tag 'gdpr'",
        "regime: gdpr",
    ),
    Broken(
        "duplicate key",
        HOTSPOTS,
        "min_cell_size: 5",
        "min_cell_size: 5\nmin_cell_size: 10",
        "`min_cell_size` appears twice in the same mapping",
        "min_cell_size: 10",
    ),
    Broken(
        "unknown partner",
        HOTSPOTS,
        "      - partner: northshire-council\n        fields: [Date,",
        "      - partner: northshire-fire\n        fields: [Date,",
        "unknown partner `northshire-fire`",
        "northshire-fire",
    ),
    Broken(
        "misspelt partner",
        HOTSPOTS,
        "  - partner: northshire-council\n    roles: [provider, recipient]",
        "  - partner: northshire-councl\n    roles: [provider, recipient]",
        "unknown partner `northshire-councl` (did you mean `northshire-council`?)",
        "northshire-councl",
    ),
    Broken(
        "unknown contract",
        HOTSPOTS,
        "dataset: police-stop-search",
        "dataset: police-stop-and-search",
        "unknown dataset `police-stop-and-search` (did you mean `police-stop-search`?): "
        "no contract defines it",
        "police-stop-and-search",
    ),
    Broken(
        "field not in the contract",
        HOTSPOTS,
        "Crime type, Last outcome category]",
        "Crime typ, Last outcome category]",
        "`police-street-crime` has no field `Crime typ` — did you mean `Crime type`?",
        "Crime typ,",
    ),
    Broken(
        "recipient who is not a party",
        HOTSPOTS,
        "      - partner: northshire-council\n        fields: [Date,",
        "      - partner: northshire-hospitals\n        fields: [Date,",
        "recipient `northshire-hospitals` is not a party — add it to `parties`",
        "partner: northshire-hospitals",
    ),
    Broken(
        "provider who is not a provider",
        EARLY,
        "  - partner: hillcrest-high-school\n    roles: [provider]",
        "  - partner: hillcrest-high-school\n    roles: [recipient]",
        "`hillcrest-high-school` has a lawful basis but is not a provider",
        "provider: hillcrest-high-school",
    ),
    Broken(
        "provider of the wrong kind",
        HOTSPOTS,
        "  - dataset: police-stop-search\n    provider: northshire-police",
        "  - dataset: police-stop-search\n    provider: northshire-council",
        "`police-stop-search` is a police dataset but `northshire-council` is a council",
        "provider: northshire-council",
        occurrence=2,
    ),
    Broken(
        "end before start",
        HOTSPOTS,
        "end: 2028-03-31",
        "end: 2025-03-31",
        "the agreement ends (2025-03-31) before it starts (2025-04-01) — correct `start` or `end`",
        "end: 2025-03-31",
    ),
    Broken(
        "review date after the end",
        HOTSPOTS,
        "review_date: 2027-01-15",
        "review_date: 2028-06-15",
        "the review date 2028-06-15 is outside the agreement's term",
        "review_date:",
    ),
    Broken(
        "provider without a lawful basis",
        HOTSPOTS,
        "  - provider: northshire-council\n    regime: uk-gdpr\n    article6: 6(1)(e)\n"
        "    article10: true\n",
        "  - provider: northshire-police-2\n    regime: uk-gdpr\n    article6: 6(1)(e)\n"
        "    article10: true\n",
        "provider `northshire-council` has no lawful basis — add a `lawful_basis` entry",
        "  - partner: northshire-council",
    ),
    Broken(
        "part 3 without the section 35 condition",
        HOTSPOTS,
        "    section35: 35(2)(b)\n",
        "",
        "`northshire-police` shares under DPA 2018 Part 3 without the section 35 condition — "
        "add `section35: 35(2)(b)`",
        "regime: dpa2018-part3",
    ),
    Broken(
        "part 3 sensitive processing without a schedule 8 condition",
        EARLY,
        "    schedule8:\n      - Sch8 para1   # statutory etc. purposes\n"
        "      - Sch8 para4   # safeguarding of children and of individuals at risk\n",
        "",
        "without a Schedule 8 condition (s.35(5))",
        "regime: dpa2018-part3",
    ),
    Broken(
        "special category data without article 9",
        EARLY,
        "    article9: 9(2)(g)\n    schedule1:\n      - Sch1 Pt2 para18\n    legislation:\n"
        "      - Children Act 2004, s.11\n      - Crime and Disorder Act 1998, s.115\n",
        "    legislation:\n      - Children Act 2004, s.11\n",
        "`northshire-hospitals` shares special category data (nhs-ae-attendances) without an "
        "Article 9 condition",
        "regime: uk-gdpr",
        occurrence=2,
    ),
    Broken(
        "article 9(2)(g) without a schedule 1 condition",
        EARLY,
        "    article9: 9(2)(g)\n    schedule1:\n      - Sch1 Pt2 para18\n    legislation:\n"
        "      - Children Act 2004, s.11\n      - Crime and Disorder Act 1998, s.115\n",
        "    article9: 9(2)(g)\n    legislation:\n      - Children Act 2004, s.11\n",
        "Article 9(2)(g) needs a DPA 2018 Schedule 1 condition (Sch1 Pt2...)",
        "article9: 9(2)(g)",
        occurrence=2,
    ),
    Broken(
        "criminal offence data without article 10",
        HOTSPOTS,
        "    article10: true\n",
        "",
        "`northshire-council` shares criminal offence data (council-asb-reports) "
        "without Article 10",
        "regime: uk-gdpr",
    ),
    Broken(
        "agreement id not the file name",
        HOTSPOTS,
        "id: crime-asb-hotspots",
        "id: hotspots",
        "agreement id `hotspots` is not the file's name `crime-asb-hotspots` — set "
        "`id: crime-asb-hotspots`",
        "id: hotspots",
    ),
    Broken(
        "duplicate partner id",
        PARTNERS,
        "  - id: hillcrest-high-school",
        "  - id: riverside-academy",
        "partner id `riverside-academy` is used twice",
        "- id: riverside-academy",
        occurrence=2,
    ),
    Broken(
        "unknown partner kind",
        PARTNERS,
        "    kind: nhs",
        "    kind: hospital",
        "`partners[2].kind`: input should be 'police', 'council', 'nhs', 'school' or 'other'",
        "kind: hospital",
    ),
    Broken(
        "contract not valid ODCS",
        STREET,
        "        physicalName: longitude\n        logicalType: number",
        "        physicalName: longitude\n        logicalType: numbr",
        "not valid ODCS at `schema[0].properties[4].logicalType`: 'numbr' is not one of",
        "logicalType: numbr",
    ),
    Broken(
        "contract with a stray field",
        STREET,
        "        physicalName: month\n",
        "        physicalName: month\n        colour: red\n",
        "not valid ODCS at `schema[0].properties[1]`: Unevaluated properties are not allowed "
        "('colour' was unexpected)",
        "colour: red",
    ),
    Broken(
        "contract id not the file name",
        STREET,
        "id: police-street-crime",
        "id: street-crime",
        "the contract id `street-crime` is not the file's name `police-street-crime`",
        "id: street-crime",
    ),
    Broken(
        "identifier not pseudonymised",
        ATTENDANCE,
        "            value: upn\n          - property: pseudonymise\n            value: true\n",
        "            value: upn\n",
        "identifier column `upn` is not pseudonymised (raw identifiers never reach the "
        "database) — add the custom property `pseudonymise: true`",
        "customProperties:",
        occurrence=2,
    ),
    Broken(
        "unknown custom property",
        ATTENDANCE,
        "          - property: pseudonymise\n            value: true\n      - name: nhs_number",
        "          - property: pseudonymize\n            value: true\n      - name: nhs_number",
        "unknown custom property `pseudonymize`",
        "pseudonymize",
    ),
    Broken(
        "pattern that does not compile",
        STREET,
        'pattern: "^[0-9a-f]{64}$"',
        'pattern: "^[0-9a-f{64}$"',
        "the pattern for `Crime ID` does not compile",
        "pattern:",
    ),
    Broken(
        "a required column that may be omitted",
        STREET,
        "        physicalName: month\n",
        "        physicalName: month\n        customProperties:\n"
        "          - property: mayBeOmitted\n            value: true\n",
        "column `Month` is required, so every file must have it; it cannot be `mayBeOmitted` "
        "— remove `mayBeOmitted`",
        "customProperties:",
        occurrence=3,
    ),
    Broken(
        "a row identity column that may be omitted",
        STREET,
        "        physicalName: longitude\n",
        "        physicalName: longitude\n        customProperties:\n"
        "          - property: mayBeOmitted\n            value: true\n",
        "column `Longitude` is used to find duplicate rows, so every file must have it",
        "customProperties:",
        occurrence=3,
    ),
    Broken(
        "a row identity naming no column",
        STREET,
        "value: [Month, Reported by,",
        "value: [Monthly, Reported by,",
        "rowIdentity names columns the contract does not have: `Monthly`",
        "customProperties:",
    ),
    Broken(
        "a header alias another column's name matches",
        STREET,
        "          - property: mayBeOmitted\n            value: true",
        "          - property: mayBeOmitted\n            value: true\n"
        "          - property: headerAliases\n            value: [crime_type]",
        "header alias `crime_type` of `Context` would also match `Crime type`",
        "customProperties:",
        occurrence=5,
    ),
    Broken(
        "header aliases that are not a list of names",
        STREET,
        "          - property: mayBeOmitted\n            value: true",
        "          - property: mayBeOmitted\n            value: true\n"
        "          - property: headerAliases\n            value: Notes",
        "custom property `headerAliases` must be a list of names",
        "value: Notes",
    ),
    Broken(
        "a source record reference that is an identifier",
        CONTACTS,
        "          - property: identifierKind\n            value: pnc_id\n",
        "          - property: identifierKind\n            value: pnc_id\n"
        "          - property: sourceRecordRef\n            value: true\n",
        "column `pnc_id` is the source record reference, which is kept as the provider sent it",
        "customProperties:",
        occurrence=3,
    ),
    Broken(
        "two source record references",
        CONTACTS,
        '          pattern: "^[EW]01[0-9]{6}$"',
        '          pattern: "^[EW]01[0-9]{6}$"\n        customProperties:\n'
        "          - property: sourceRecordRef\n            value: true",
        "a contract names at most one source record reference (`sourceRecordRef`)",
        "customProperties:",
        occurrence=9,
    ),
    Broken(
        "a recipient given the source record reference",
        EARLY,
        "fields: [pnc_id, nhs_number, date_of_birth, postcode, gender, contact_date,",
        "fields: [contact_id, pnc_id, nhs_number, date_of_birth, postcode, gender, contact_date,",
        "field `contact_id` is the source record reference of `police-contacts`",
        "fields: [contact_id,",
    ),
    Broken(
        "quality rule the hub cannot run",
        STREET,
        "        metric: rowCount\n",
        "        metric: rowCount\n        type: custom\n        engine: soda\n"
        "        implementation: checks for street\n",
        "quality rules of type `custom` cannot be run by the hub",
        "type: custom",
    ),
]


@pytest.mark.parametrize("case", BROKEN, ids=[c.name for c in BROKEN])
def test_each_broken_file_names_the_file_line_and_fix(tree, case):
    edit(tree, case.file, case.old, case.new)
    line = line_of(tree, case.file, case.at, case.occurrence)
    problems = problems_in(tree)
    where = f"{tree / case.file}:{line}: "
    matching = [p for p in problems if p.startswith(where) and case.message in p]
    assert matching, f"expected {where}…{case.message}… in:\n" + "\n".join(problems)
    assert all(" — " in p for p in problems), problems  # each says how to fix it


def test_a_dataset_whose_contract_is_broken_is_not_reported_twice(tree):
    edit(
        tree,
        STREET,
        "logicalType: number\n        classification: public\n        description: "
        'Anonymised point; empty where Location is "No Location".\n        logicalTypeOptions:\n'
        "          minimum: -8.7",
        "logicalType: numbr\n        classification: public\n"
        '        description: Anonymised point; empty where Location is "No Location".\n'
        "        logicalTypeOptions:\n          minimum: -8.7",
    )
    problems = problems_in(tree)
    assert problems and all("police-street-crime.yaml" in p for p in problems), problems


def test_duplicate_agreement_ids_and_linkage_domains(tree):
    source = tree / HOTSPOTS
    copy = source.with_name("other-hotspots.yaml")  # read after the original
    copy.write_text(source.read_text())
    problems = problems_in(tree)
    line = line_of(tree, HOTSPOTS, "id: crime-asb-hotspots")
    domain = line_of(tree, HOTSPOTS, "linkage_domain:")
    assert (
        f"{copy}:{line}: agreement id `crime-asb-hotspots` is also used by crime-asb-hotspots.yaml"
        in "\n".join(problems)
    )
    assert any(
        p.startswith(f"{copy}:{domain}: linkage domain `crime-asb-hotspots` is also used by")
        for p in problems
    ), problems


def test_files_the_hub_would_not_read_are_problems(tree):
    shutil.copy(tree / HOTSPOTS, tree / "policies/agreements/extra.yml")
    shutil.copy(tree / STREET, tree / "contracts/street.yaml")
    problems = problems_in(tree)
    extra = tree / "policies/agreements/extra.yml"
    assert f"{extra}:1: not loaded: agreements end in .yaml — rename it to extra.yaml" in problems
    assert any(p.startswith(f"{tree}/contracts/street.yaml:1: not loaded") for p in problems)


def test_missing_folders_and_files_are_problems(tmp_path):
    problems = [str(p) for p in check_policies(tmp_path / "nope", tmp_path / "none").problems]
    assert any("the policies folder does not exist" in p for p in problems)
    assert any("the contracts folder does not exist" in p for p in problems)


def test_every_problem_is_listed_not_just_the_first(tree):
    edit(tree, HOTSPOTS, "end: 2028-03-31", "end: 2025-03-31")
    edit(tree, HOTSPOTS, "Crime type, Last outcome category]", "Crime typ, Last outcome category]")
    edit(tree, EARLY, "    section35: 35(2)(b)\n", "")
    problems = problems_in(tree)
    assert len(problems) == 3, problems


def test_create_app_with_a_broken_agreement_stops_with_one_line(tree, test_keys):
    from hub.app import create_app

    edit(tree, HOTSPOTS, "end: 2028-03-31", "end: 2025-03-31")
    edit(tree, HOTSPOTS, "Crime type, Last outcome category]", "Crime typ, Last outcome category]")
    settings = make_settings(
        tree, None, test_keys, policies_dir=tree / "policies", contracts_dir=tree / "contracts"
    )
    with pytest.raises(ConfigurationError) as info:
        create_app(settings)
    message = str(info.value)
    assert "\n" not in message
    line = line_of(tree, HOTSPOTS, "Crime typ,")
    assert message.startswith(f"{tree / HOTSPOTS}:{line}: `police-street-crime` has no field")
    assert message.endswith("(and 1 more: run `hub agreements check`)")


def test_create_app_with_a_broken_contract_names_the_contract(tree, test_keys):
    from hub.app import create_app

    edit(
        tree,
        ATTENDANCE,
        '          pattern: "^20[0-9]{2}/[0-9]{2}$"',
        '          pattern: "^20([0-9]{2}/[0-9]{2}$"',
    )
    settings = make_settings(
        tree, None, test_keys, policies_dir=tree / "policies", contracts_dir=tree / "contracts"
    )
    with pytest.raises(ConfigurationError, match=r"school-attendance\.yaml:\d+: the pattern"):
        create_app(settings)


def test_cli_check_passes_on_the_shipped_set():
    result = CliRunner().invoke(
        cli, ["check", "--policies-dir", str(POLICIES), "--contracts-dir", str(CONTRACTS)]
    )
    assert result.exit_code == 0, result.output
    assert result.output.startswith("OK: 7 partners, 2 agreements, 8 contracts and 4 views")


def test_cli_check_lists_every_problem_one_per_line(tree):
    edit(tree, HOTSPOTS, "end: 2028-03-31", "end: 2025-03-31")
    edit(tree, HOTSPOTS, "min_cell_size: 5", "min_cell_size: 5\nmin_cell_size: 10")
    edit(tree, EARLY, "    section35: 35(2)(b)\n", "")
    result = CliRunner().invoke(
        cli,
        [
            "check",
            "--policies-dir",
            str(tree / "policies"),
            "--contracts-dir",
            str(tree / "contracts"),
        ],
    )
    assert result.exit_code == 1
    lines = result.stdout.splitlines()
    assert len(lines) == 2, lines  # the duplicate key stops the hotspots file being checked further
    assert lines[0].startswith(f"{tree / HOTSPOTS}:")
    assert "appears twice" in lines[0]
    assert lines[1].startswith(f"{tree / EARLY}:")
    assert "2 problems found" in result.stderr
    assert "could not be read far enough" in result.stderr


def test_two_partners_cannot_share_an_issuer_and_a_secret_is_never_in_the_file(tree):
    edit(
        tree,
        "policies/partners.yaml",
        "issuer: http://127.0.0.1:8400/northshire-council",
        "issuer: http://127.0.0.1:8400/northshire-police",
    )
    line = line_of(
        tree, "policies/partners.yaml", "issuer: http://127.0.0.1:8400/northshire-police", 2
    )
    found = problems_in(tree)
    assert any(
        f"partners.yaml:{line}:" in p and "already `northshire-police`'s" in p for p in found
    ), found

    edit(
        tree,
        "policies/partners.yaml",
        "client_secret_env: HUB_OIDC_SECRET_NORTHSHIRE_POLICE",
        "client_secret_env: s3cret-in-the-file",
    )
    assert any("client_secret_env" in p for p in problems_in(tree))
