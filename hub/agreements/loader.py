"""Load policies/partners.yaml, policies/agreements/*.yaml and the contracts, all checked.

`check_policies` finds every problem and returns it with what did load; `load_policies`
returns the policies only when there is no problem at all. Nothing is skipped silently: a
file the hub would not read (say `x.yml`) is a problem too.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from pydantic import ValidationError

from hub.agreements.check import AgreementChecker, check_across
from hub.agreements.model import Agreement, AgreementFile, Partner, PartnersFile, Policies
from hub.contracts import (
    Problem,
    YamlDocument,
    YamlSyntaxError,
    check_contracts,
    duplicate_keys,
    one_line,
    pydantic_problems,
    read_yaml,
)
from hub.errors import ConfigurationError

PARTNERS_FILE = "partners.yaml"
AGREEMENTS_DIR = "agreements"


class PolicyProblems(ConfigurationError):
    """Policies or contracts with problems: `problems` lists them all; the message is one
    line naming the file, the line and the first problem."""

    def __init__(self, problems: list[Problem]):
        self.problems = problems
        super().__init__(one_line(problems))


@dataclass(frozen=True)
class CheckResult:
    policies: Policies  # what loaded cleanly
    problems: list[Problem]
    # Files with syntax or schema problems: their references are checked once those are fixed.
    unchecked: list[Path]


def load_policies(policies_dir: Path, contracts_dir: Path) -> Policies:
    """The policies and contracts, when there is no problem at all; else `PolicyProblems`."""
    result = check_policies(policies_dir, contracts_dir)
    if result.problems:
        raise PolicyProblems(result.problems)
    return result.policies


def check_policies(policies_dir: Path, contracts_dir: Path) -> CheckResult:
    """Every problem in partners.yaml, the agreements and the contracts, in file order."""
    policies_dir, contracts_dir = Path(policies_dir), Path(contracts_dir)
    problems: list[Problem] = []
    unchecked: list[Path] = []
    partners, found = _partners(policies_dir)
    problems.extend(found)
    if partners is None and found:
        unchecked.append(policies_dir / PARTNERS_FILE)
    contracts, found = check_contracts(contracts_dir)
    problems.extend(found)
    broken = frozenset(p.path.stem for p in found)
    unchecked.extend(sorted({p.path for p in found if p.path.suffix == ".yaml"}))
    agreements: dict[str, Agreement] = {}
    files: dict[str, AgreementFile] = {}
    documents: dict[str, YamlDocument] = {}
    for path in _agreement_files(policies_dir, problems):
        document, agreement, found = _agreement(path)
        problems.extend(found)
        if agreement is None:
            unchecked.append(path)
            continue
        checker = AgreementChecker(
            document, agreement, partners=partners, contracts=contracts, broken_contracts=broken
        )
        problems.extend(checker.run())
        documents[path.name] = document
        agreements.setdefault(path.name, agreement)
    problems.extend(check_across(documents, agreements))
    by_id: dict[str, Agreement] = {}
    for name, agreement in agreements.items():
        if agreement.id not in by_id:
            by_id[agreement.id] = agreement
            files[agreement.id] = AgreementFile(documents[name].path, documents[name].sha256)
    policies = Policies(partners=partners or {}, agreements=by_id, contracts=contracts, files=files)
    return CheckResult(policies, problems, unchecked)


def _partners(policies_dir: Path) -> tuple[dict[str, Partner] | None, list[Problem]]:
    path = policies_dir / PARTNERS_FILE
    if not policies_dir.is_dir():
        return None, [
            Problem(
                policies_dir,
                1,
                "the policies folder does not exist",
                "create it, or set HUB_POLICIES_DIR to the folder that holds partners.yaml and "
                "agreements/",
            )
        ]
    if not path.is_file():
        return None, [
            Problem(
                path,
                1,
                "partners.yaml is missing",
                "list the partner agencies in it (id, name, kind)",
            )
        ]
    try:
        document = read_yaml(path)
    except YamlSyntaxError as exc:
        return None, [exc.problem]
    problems = duplicate_keys(document)
    try:
        parsed = PartnersFile.model_validate(document.data)
    except ValidationError as exc:
        return None, problems + pydantic_problems(document, exc, PartnersFile)
    partners: dict[str, Partner] = {}
    for index, partner in enumerate(parsed.partners):
        if partner.id in partners:
            problems.append(
                Problem(
                    path,
                    document.line(["partners", index, "id"]),
                    f"partner id `{partner.id}` is used twice",
                    "give each partner its own id",
                )
            )
            continue
        partners[partner.id] = partner
    issuers: dict[str, str] = {}
    for index, partner in enumerate(parsed.partners):
        if partner.sign_in is None:
            continue
        issuer = partner.sign_in.issuer.rstrip("/")
        if issuer in issuers and issuers[issuer] != partner.id:
            # A person's partner is their issuer's: an issuer shared would let one partner's
            # provider speak for another.
            problems.append(
                Problem(
                    path,
                    document.line(["partners", index, "sign_in", "issuer"]),
                    f"issuer {issuer} is already `{issuers[issuer]}`'s",
                    "give each partner its own issuer (a tenant, realm or path of its own)",
                )
            )
        issuers.setdefault(issuer, partner.id)
    return (None if problems else partners), problems


def _agreement_files(policies_dir: Path, problems: list[Problem]) -> list[Path]:
    folder = policies_dir / AGREEMENTS_DIR
    if not policies_dir.is_dir():
        return []  # already said
    if not folder.is_dir():
        problems.append(
            Problem(
                folder,
                1,
                "the agreements folder does not exist",
                "create policies/agreements/ (it may be empty)",
            )
        )
        return []
    paths = []
    for path in sorted(folder.iterdir()):
        if path.is_file() and path.suffix == ".yml":
            problems.append(
                Problem(
                    path, 1, "not loaded: agreements end in .yaml", f"rename it to {path.stem}.yaml"
                )
            )
        elif path.is_dir() and not path.name.startswith("."):
            problems.append(
                Problem(
                    path,
                    1,
                    "not loaded: agreements are files directly in policies/agreements/",
                    "move its files up",
                )
            )
        elif path.is_file() and path.suffix == ".yaml":
            paths.append(path)
    return paths


def _agreement(path: Path) -> tuple[YamlDocument | None, Agreement | None, list[Problem]]:
    try:
        document = read_yaml(path)
    except YamlSyntaxError as exc:
        return None, None, [exc.problem]
    problems = duplicate_keys(document)
    if not isinstance(document.data, dict):
        problems.append(
            Problem(
                path,
                1,
                "the file does not hold an agreement (a mapping)",
                "start from an example in policies/agreements/",
            )
        )
        return document, None, problems
    try:
        agreement = Agreement.model_validate(document.data)
    except ValidationError as exc:
        return document, None, problems + pydantic_problems(document, exc, Agreement)
    if problems:
        return document, None, problems
    return document, agreement, []
