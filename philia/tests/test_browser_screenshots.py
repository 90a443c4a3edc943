"""A failing browser test saves a screenshot of its window (testing/browser.py), and a passing one does not: checked
by running two such tests in a pytest of their own, with real headless Chromium."""

import os
from pathlib import Path

import pytest
from PIL import Image

pytestmark = pytest.mark.browser

REPOSITORY = Path(__file__).resolve().parents[2]

BROWSER_TESTS = """
def test_a_page_that_is_not_what_was_expected(browser_at):
    browser = browser_at(390)
    browser.get("data:text/html,<h1>Hello</h1>")
    assert browser.find_element("tag name", "h1").text == "Goodbye"


def test_a_page_that_is(browser_at):
    browser = browser_at(390)
    browser.get("data:text/html,<h1>Hello</h1>")
    assert browser.find_element("tag name", "h1").text == "Hello"
"""


def test_a_failing_browser_test_saves_a_screenshot_of_its_window(pytester, chromium_paths, monkeypatch, tmp_path):
    screenshots = tmp_path / "screenshots"
    monkeypatch.setenv("BROWSER_SCREENSHOTS", str(screenshots))
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join(filter(None, [str(REPOSITORY), os.environ.get("PYTHONPATH")])))
    pytester.makepyfile(test_pages=BROWSER_TESTS)

    result = pytester.runpytest_subprocess("-p", "testing.browser", "-p", "no:django", "-p", "no:cacheprovider")

    result.assert_outcomes(passed=1, failed=1)
    assert sorted(path.name for path in screenshots.iterdir()) == [
        "FAILED-test_a_page_that_is_not_what_was_expected-390.png"
    ]
    with Image.open(screenshots / "FAILED-test_a_page_that_is_not_what_was_expected-390.png") as screenshot:
        assert (screenshot.format, screenshot.size) == ("PNG", (390, 900))
