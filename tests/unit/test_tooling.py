"""The build and run tooling says what it does: CI runs `make test`, the README starts with
`make demo` and `make test` and documents every setting, and the Docker files set only
settings that exist."""

from __future__ import annotations

import json
import re

import yaml

from hub.settings import PROJECT_ROOT, Settings

SETTING_NAMES = {f"HUB_{name.upper()}" for name in Settings.model_fields}


def _commands(path) -> list[str]:
    """The shell commands of a script: no shebang, comments or blank lines."""
    lines = path.read_text().splitlines()
    return [line.strip() for line in lines if line.strip() and not line.lstrip().startswith("#")]


def test_ci_runs_exactly_make_test():
    commands = _commands(PROJECT_ROOT / ".ci" / "run")
    assert commands[0] == "set -euo pipefail"
    assert commands[-1] == "make test"
    others = [c for c in commands[1:-1] if not c.startswith("cd ")]
    assert others == [], f".ci/run should only cd to the repo root and run `make test`: {others}"


def test_readme_opens_with_make_demo_then_make_test():
    readme = (PROJECT_ROOT / "README.md").read_text()
    # The first lines after the title: a newcomer sees the two commands before anything else.
    opening = readme.split("\n", 1)[1].lstrip()
    block = re.match(r"```[a-z]*\n(.*?)```", opening, re.DOTALL)
    assert block, "the README should open, under its title, with the two commands"
    commands = [line.split("#", 1)[0].strip() for line in block.group(1).splitlines()]
    commands = [c for c in commands if c]
    assert commands[:2] == ["make demo", "make test"]


def test_readme_documents_every_setting():
    readme = (PROJECT_ROOT / "README.md").read_text()
    missing = sorted(name for name in SETTING_NAMES if f"`{name}`" not in readme)
    assert missing == [], f"README.md, Configuration: add {', '.join(missing)}"


def test_makefile_has_the_documented_targets():
    makefile = (PROJECT_ROOT / "Makefile").read_text()
    targets = set(re.findall(r"^([a-z][a-z-]*):", makefile, re.MULTILINE))
    assert {"demo", "test", "lint", "docker-lint", "migration", "bench", "clean"} <= targets


def test_compose_sets_only_real_settings():
    compose = yaml.safe_load((PROJECT_ROOT / "docker" / "compose.yaml").read_text())
    names = {
        name
        for service in compose["services"].values()
        for name in (service.get("environment") or {})
        if name.startswith("HUB_")
    }
    assert names, "compose.yaml should configure the hub through HUB_* variables"
    assert names <= SETTING_NAMES, f"not settings: {sorted(names - SETTING_NAMES)}"


def test_dockerfile_sets_only_real_settings_and_serves_the_factory():
    dockerfile = (PROJECT_ROOT / "docker" / "Dockerfile").read_text()
    env_names = set(re.findall(r"\b(HUB_[A-Z_]+)=", dockerfile))
    assert env_names <= SETTING_NAMES, f"not settings: {sorted(env_names - SETTING_NAMES)}"
    cmd = json.loads(re.search(r"^CMD (\[.+\])$", dockerfile, re.MULTILINE).group(1))
    assert cmd[0] == "gunicorn"
    assert cmd[-1] == "hub.app:create_app()"
    assert cmd[cmd.index("--bind") + 1] == "0.0.0.0:8000"


def test_the_readme_links_nothing_outside_the_project():
    """A reader of a fresh clone has the project and nothing else: every path it names is in
    the repository, and it links no web site (the demo's own address aside)."""
    readme = (PROJECT_ROOT / "README.md").read_text()
    assert "../" not in readme
    addresses = re.findall(r"https?://[^\s)>`'\"]+", readme)
    assert all(
        re.match(r"https?://(127\.0\.0\.1|localhost|\$\{?HUB|HUB_HOST)", a) for a in addresses
    ), addresses
    for path in re.findall(
        r"`((?:docs|scripts|policies|contracts|bench|tests)/[^`*<> ]+)`", readme
    ):
        assert (PROJECT_ROOT / path.rstrip("/")).exists(), path


def test_make_lint_holds_the_layer_rule_for_every_package():
    import configparser

    makefile = (PROJECT_ROOT / "Makefile").read_text()
    lint = re.search(r"^lint:.*\n((?:\t.*\n)+)", makefile, re.MULTILINE).group(1)
    assert "lint-imports" in lint, "make lint should run import-linter (.importlinter)"
    config = configparser.ConfigParser()
    config.read(PROJECT_ROOT / ".importlinter")
    layers = config["importlinter:contract:layers"]
    # Exhaustive: a new top-level module of hub/ fails `make lint` until it has its layer.
    assert layers["exhaustive"] == "True"
    named = {
        name.strip("() ")
        for line in layers["layers"].split("\n")
        for name in line.split("|")
        if name.strip()
    }
    assert {"cli", "demo", "api", "store", "client", "errors", "settings"} <= named
