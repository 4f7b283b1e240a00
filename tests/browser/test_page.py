"""The page at `/` in a real headless browser: Debian's chromium driven by Selenium.

Selenium is given chromium and chromedriver by path, so Selenium Manager downloads nothing.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest

from tests.conftest import Server, ServerFactory

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMEDRIVER = shutil.which("chromedriver") or "/usr/bin/chromedriver"
KEY = "browser-key"

if not (shutil.which(CHROMIUM) and shutil.which(CHROMEDRIVER)):
    WHY = "chromium and chromedriver are not installed: apt-get install chromium chromium-driver"
    if os.environ.get("CI"):  # .ci/run installs them: there, a skip would hide the page
        pytest.fail(f"{WHY} (.ci/run should have)", pytrace=False)
    pytest.skip(f"{WHY} (.ci/run does)", allow_module_level=True)

from selenium import webdriver  # noqa: E402  (after the skip: only with a browser)
from selenium.webdriver.chrome.service import Service  # noqa: E402
from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.remote.webdriver import WebDriver  # noqa: E402
from selenium.webdriver.support.select import Select  # noqa: E402
from selenium.webdriver.support.wait import WebDriverWait  # noqa: E402


@pytest.fixture(scope="module")
def server(module_servers: ServerFactory) -> Server:
    """The real service with API keys on, so the page must send the key it is given."""
    return module_servers.start({"LLMCHAIN_API_KEYS": KEY})


@pytest.fixture(scope="module")
def browser() -> Iterator[WebDriver]:
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu"):
        options.add_argument(flag)  # --no-sandbox: CI runs as root
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})  # console: CSP reports
    driver = webdriver.Chrome(options=options, service=Service(executable_path=CHROMEDRIVER))
    driver.set_page_load_timeout(20)
    yield driver
    driver.quit()


def wait_for(browser: WebDriver, what: Callable[[WebDriver], Any], timeout: float = 15) -> Any:
    return WebDriverWait(browser, timeout, poll_frequency=0.05).until(what)


def text_of(browser: WebDriver, element_id: str) -> str:
    return str(browser.find_element(By.ID, element_id).text)


def type_key(browser: WebDriver) -> None:
    """Type the API key; the page lists the chains once it has one."""
    key = browser.find_element(By.ID, "api-key")
    key.clear()
    key.send_keys(KEY + "\t")  # the field's change event
    wait_for(browser, lambda b: len(Select(b.find_element(By.ID, "target")).options) > 1)


def test_the_page_is_served_with_a_strict_csp(server: Server) -> None:
    response = httpx.get(f"{server.url}/")
    assert response.status_code == 200 and "text/html" in response.headers["content-type"]
    csp = response.headers["content-security-policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp
    assert "<script>" not in response.text  # no inline script: only /web/app.js
    assert httpx.get(f"{server.url}/web/app.js").status_code == 200


def test_playground_opens_the_page_with_the_chain_chosen(server: Server) -> None:
    for path in ("playground/", "playground/index.html", "playground"):
        url = f"{server.url}/v1/chains/summarize/{path}"
        response = httpx.get(url, headers={"X-API-Key": KEY}, follow_redirects=True)
        assert response.status_code == 200, (path, response.text)
        assert str(response.url) == f"{server.url}/?chain=summarize"
        assert "text/html" in response.headers["content-type"]
    missing = httpx.get(f"{server.url}/v1/chains/nope/playground/", headers={"X-API-Key": KEY})
    assert missing.status_code == 404


def test_a_chain_streams_its_answer(server: Server, browser: WebDriver) -> None:
    browser.get(f"{server.url}/?chain=product-description")
    # Without the key the service answers 401, and the page says so.
    wait_for(browser, lambda b: "API key" in text_of(b, "status"))
    type_key(browser)
    assert Select(browser.find_element(By.ID, "target")).first_selected_option.text == (
        "product-description"
    )
    browser.find_element(By.NAME, "product").send_keys("a red kite")
    browser.find_element(By.ID, "send").click()
    wait_for(browser, lambda b: text_of(b, "status") == "done")
    answer = browser.find_element(By.ID, "answer")
    assert "Write a product description for a red kite." in answer.text
    assert int(answer.get_attribute("data-chunks") or 0) > 3  # read piece by piece
    assert browser.find_element(By.ID, "history-box").is_displayed() is False


def test_chat_streams_and_shows_the_sessions_history(server: Server, browser: WebDriver) -> None:
    browser.get(f"{server.url}/")
    type_key(browser)  # the key is kept for the tab (sessionStorage), the field refilled
    Select(browser.find_element(By.ID, "target")).select_by_value("chat")
    session = browser.find_element(By.ID, "session")
    session.clear()
    session.send_keys("browser-1\t")
    for turn, message in enumerate(("I like tea", "what do I like?"), start=1):
        browser.find_element(By.NAME, "message").send_keys(message)
        browser.find_element(By.ID, "send").click()
        expected = f"turn {turn}: "
        wait_for(browser, lambda b: expected in text_of(b, "answer"))  # noqa: B023
        wait_for(browser, lambda b: text_of(b, "status") == "done")
        browser.find_element(By.NAME, "message").clear()
    answer = text_of(browser, "answer")
    assert "turn 2: what do I like?" in answer  # the model saw the first turn
    items = browser.find_elements(By.CSS_SELECTOR, "#history li")
    assert [item.get_attribute("class") for item in items] == ["user", "assistant"] * 2
    assert "I like tea" in items[0].text and items[3].text.endswith(answer)
    # What the page shows is what the service stored.
    stored = httpx.get(f"{server.url}/v1/chat/browser-1", headers={"X-API-Key": KEY}).json()
    assert [m["content"] for m in stored["messages"]][-1] == answer


def test_no_console_errors(browser: WebDriver) -> None:
    """No CSP violation or script error in the browser's console over the tests above."""
    errors = [e for e in browser.get_log("browser") if e["level"] == "SEVERE"]
    # Network entries are the answers the tests provoke (401 before the key is typed, 404
    # for a session without turns); anything else (a CSP refusal, a script error) is a bug.
    unexpected = [e for e in errors if e["source"] != "network"]
    assert not unexpected, unexpected
