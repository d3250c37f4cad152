"""Browser journeys in headless Debian Chromium, driven by Playwright."""

import os
import shutil
from pathlib import Path

import pytest

from tests.e2e.helpers import DEMO_PASSWORD

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"

pytestmark = pytest.mark.e2e


def pytest_collection_modifyitems(config, items):
    if Path(CHROMIUM).exists() or shutil.which("chromium"):
        return
    skip = pytest.mark.skip(reason=f"Chromium not found at {CHROMIUM}")
    for item in items:
        if "tests/e2e/" in str(item.fspath):
            item.add_marker(skip)


@pytest.fixture(scope="session")
def browser():
    # Playwright's sync API runs an event loop in this thread; the live server's database
    # work happens in its own thread, so Django's async-safety check does not apply here.
    os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=["--headless", "--no-sandbox", "--disable-gpu",
                  "--disable-background-networking"],
        )
        yield browser
        browser.close()


# Every page of the context reports each Content-Security-Policy violation to Python as it
# happens: a journey that trips the policy fails, whichever page or navigation it was on.
CSP_LISTENER = """
document.addEventListener("securitypolicyviolation", function (event) {
  window.dmedCspViolation([event.effectiveDirective, event.blockedURI, event.sourceFile,
                           event.lineNumber, event.sample, location.href].join(" | "));
});
"""


@pytest.fixture
def csp_violations():
    """What the browser refused under the Content-Security-Policy during the test."""
    return []


def watch_csp(context, violations: list) -> None:
    context.expose_function("dmedCspViolation", lambda violation: violations.append(violation))
    context.add_init_script(CSP_LISTENER)

    def on_console(message):
        # Chromium also logs each refusal; this catches one the event missed (a refusal
        # during a navigation, before the listener's binding answers).
        if message.type == "error" and "Content Security Policy" in message.text:
            violations.append(f"console: {message.text}")

    context.on("page", lambda new_page: new_page.on("console", on_console))


@pytest.fixture
def new_context(browser, csp_violations):
    """Another browser context (a second screen, another user), watched like `page`'s; the
    test fails at teardown if any page of any of them tripped the policy."""
    contexts = []

    def make(**options):
        context = browser.new_context(**options)
        watch_csp(context, csp_violations)
        contexts.append(context)
        return context

    yield make
    for context in contexts:
        context.close()
    if csp_violations:
        pytest.fail("Content-Security-Policy violations:\n" + "\n".join(csp_violations))


@pytest.fixture
def page(new_context):
    page = new_context(viewport={"width": 390, "height": 844}, locale="uz-UZ").new_page()
    page.set_default_timeout(10_000)
    return page


@pytest.fixture
def demo_world(settings):
    """The seed_demo world, committed, for the live server to serve."""
    from django.core.management import call_command

    settings.DEMO_PASSWORD = DEMO_PASSWORD
    call_command("seed_demo")


@pytest.fixture
def screenshot(page, request):
    """Save a screenshot under test-artifacts/ to look at what the user saw."""

    def take(name: str) -> Path:
        ARTIFACTS.mkdir(exist_ok=True)
        path = ARTIFACTS / f"{request.node.name}-{name}.png"
        page.screenshot(path=str(path), full_page=True)
        return path

    return take
