"""Signing in to the pages, in a real browser."""

from __future__ import annotations

from tests.browser.conftest import sign_in


def test_sign_in_with_client_secret_then_sign_out(page, demo_hub):
    officer = demo_hub.client(role="ig_officer", partner="northshire-council")
    sign_in(page, demo_hub, officer, next_path="/console")
    assert page.url.endswith("/console")
    assert officer["client_id"] in page.inner_text("[data-testid=signed-in-as]")
    page.click("#sign-out-form button")
    page.wait_for_url("**/sign-in")
    page.goto(f"{demo_hub.url}/console")
    page.wait_for_url("**/sign-in?next=/console")


def test_a_wrong_secret_is_refused_with_a_clear_message(page, demo_hub):
    officer = demo_hub.client(role="ig_officer", partner="northshire-council")
    page.goto(f"{demo_hub.url}/sign-in")
    page.fill("#client_id", officer["client_id"])
    page.fill("#client_secret", "not-the-secret")
    page.click("#client-form button[type=submit]")
    problem = page.wait_for_selector("#client-error:not([hidden])")
    assert "client" in problem.inner_text().lower()
    assert "signed-in-as" not in page.content()


def test_a_pasted_token_signs_in_and_a_bad_one_is_refused(page, demo_hub):
    officer = demo_hub.client(role="ig_officer", partner="northshire-police")
    page.goto(f"{demo_hub.url}/sign-in?next=/console")
    page.fill("#token", demo_hub.token(officer))
    page.click("#token-form button[type=submit]")
    page.wait_for_selector("[data-testid=signed-in-as]")
    assert page.url.endswith("/console")

    other = page.context.browser.new_context()
    fresh = other.new_page()
    fresh.goto(f"{demo_hub.url}/sign-in")
    fresh.fill("#token", "eyJhbGciOiJIUzI1NiJ9.e30.not-a-token")
    fresh.click("#token-form button[type=submit]")
    assert "malformed" in fresh.inner_text("#sign-in-error")
    other.close()


def test_demo_mode_offers_its_clients_and_an_analyst_cannot_open_the_console(page, demo_hub):
    page.goto(f"{demo_hub.url}/sign-in?next=/console")
    buttons = page.locator(".demo-client")
    assert buttons.count() == len(demo_hub.clients)
    page.locator(".demo-client", has_text="northshire-council · analyst").first.click()
    page.wait_for_selector("[data-testid=signed-in-as]")
    assert "for the roles ig_officer" in page.inner_text("main")
