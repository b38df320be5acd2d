"""Signing in to the pages, in a real browser, through the real login page of the demo's
OpenID Provider (oidc-provider, one issuer per partner)."""

from __future__ import annotations

import pytest
import requests

from tests.browser.conftest import at_provider, sign_in

LANDING = {"analyst": "/", "ig_officer": "/console", "uploader": "/console/uploads"}


@pytest.mark.parametrize("partner", ["northshire-police", "northshire-council"])
@pytest.mark.parametrize("role", sorted(LANDING))
def test_each_role_signs_in_at_its_own_providers_login_page_and_lands_on_its_page(
    page, demo_hub, partner, role
):
    person = demo_hub.person(role=role, partner=partner)
    page.goto(f"{demo_hub.url}/sign-in")
    page.click(f"#providers a[data-partner={partner}]")
    page.wait_for_selector("#username")
    # The login page is the provider's, at the partner's own issuer, not the hub's.
    assert not page.url.startswith(demo_hub.url)
    assert f"/{partner}/interaction/" in page.url
    at_provider(page, person)
    page.wait_for_selector("[data-testid=signed-in-as]")
    assert page.url == demo_hub.url + LANDING[role]
    shown = page.inner_text("[data-testid=signed-in-as]")
    assert person["name"] in shown and partner in shown and role in shown


def test_a_police_person_claiming_the_councils_roles_is_refused(page, demo_hub):
    mallory = next(p for p in demo_hub.people if p["username"] == "mallory")
    assert mallory["partner"] == "northshire-police"
    assert mallory["extra_claims"] == {"hub_partner": "northshire-council"}
    page.goto(f"{demo_hub.url}/sign-in?next=/console")
    page.click("#providers a[data-partner=northshire-police]")
    at_provider(page, mallory)
    error = page.wait_for_selector("#sign-in-error")
    assert "cannot make you act for 'northshire-council'" in error.inner_text()
    assert "signed-in-as" not in page.content()
    page.goto(f"{demo_hub.url}/console")
    page.wait_for_url("**/sign-in?next=/console")


def test_a_wrong_password_is_refused_at_the_provider(page, demo_hub):
    officer = demo_hub.person(role="ig_officer", partner="northshire-council")
    page.goto(f"{demo_hub.url}/sign-in")
    page.click("#providers a[data-partner=northshire-council]")
    at_provider(page, {**officer, "password": "not-the-password"})
    assert "do not match" in page.inner_text("#login-error")
    assert "signed-in-as" not in page.content()


def test_sign_out_ends_the_session_so_a_copied_cookie_gets_the_sign_in_page(page, demo_hub):
    sign_in(page, demo_hub, demo_hub.person(role="ig_officer", partner="northshire-council"))
    copied = [c for c in page.context.cookies() if c["name"] == "hub_session"]
    assert copied
    page.click("#sign-out-form button")
    page.wait_for_url("**/sign-in")

    other = page.context.browser.new_context()
    try:
        other.add_cookies(copied)
        thief = other.new_page()
        thief.goto(f"{demo_hub.url}/console")
        thief.wait_for_url("**/sign-in?next=/console")
        assert "signed-in-as" not in thief.content()
    finally:
        other.close()
    # The API refuses the copied cookie too.
    cookie = {"hub_session": copied[0]["value"]}
    answer = requests.get(f"{demo_hub.url}/api/v1/agreements", cookies=cookie, timeout=10)
    assert answer.status_code == 401


def test_the_demo_lists_its_people_and_an_analyst_cannot_open_the_console(page, demo_hub):
    page.goto(f"{demo_hub.url}/sign-in?next=/console")
    listed = page.inner_text("#demo-people")
    for person in demo_hub.people:
        assert person["username"] in listed and person["password"] in listed
    sign_in(page, demo_hub, demo_hub.person(role="analyst", partner="northshire-council"))
    page.goto(f"{demo_hub.url}/console")
    assert "for the roles ig_officer" in page.inner_text("main")
