"""Real headless Chromium for browser tests (Selenium), against Django's live server.

    @pytest.mark.browser
    def test_...(browser_at):
        browser = browser_at(390)                  # a Chrome window 390 px wide, closed after the test
        browser.get(live_server.url + "/admin/")
        assert_no_sideways_scroll(browser)

Debian's `chromium` and `chromium-driver` are installed on first use when missing and we are root (`apt-get
install`, after `apt-get update` if that fails); otherwise the tests are skipped with the reason. A failing browser
test saves a screenshot of every window it opened under `browser-screenshots/` (git-ignored; BROWSER_SCREENSHOTS
names another folder); with
SAVE_SCREENSHOTS=1, `assert_no_sideways_scroll` saves one of every page it checks, to look at.
"""

import os
import re
import shutil
import subprocess
from collections.abc import Callable, Generator, Iterator
from pathlib import Path

import pytest

# BROWSER_SCREENSHOTS sets another folder (the test of this very fixture uses its own).
SCREENSHOTS = Path(
    os.environ.get("BROWSER_SCREENSHOTS") or Path(__file__).resolve().parent.parent / "browser-screenshots"
)
PACKAGES = ["chromium", "chromium-driver"]

# Every overflow container (overflow-x auto or scroll) that scrolls sideways, and the page itself, as text.
SIDEWAYS_SCROLLERS_JS = """
const page = document.scrollingElement;
const found = [];
if (page.scrollWidth > page.clientWidth) found.push(`page: ${page.scrollWidth} > ${page.clientWidth}`);
for (const element of document.querySelectorAll("body *")) {
  const overflow = getComputedStyle(element).overflowX;
  if ((overflow === "auto" || overflow === "scroll") && element.scrollWidth > element.clientWidth + 1) {
    found.push(`${element.tagName.toLowerCase()}#${element.id}.${element.className}: ${element.scrollWidth} > ${element.clientWidth}`);
  }
}
return found;
"""


def _install_chromium() -> None:
    if os.geteuid() != 0:
        pytest.skip("chromium and chromedriver are not on PATH (install Debian's chromium and chromium-driver)")
    command = ["apt-get", "install", "-y", "--no-install-recommends", *PACKAGES]
    environment = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    if subprocess.run(command, env=environment, capture_output=True).returncode != 0:
        subprocess.run(["apt-get", "update"], env=environment, capture_output=True, check=True)
        subprocess.run(command, env=environment, capture_output=True, check=True)


@pytest.fixture(scope="session")
def chromium_paths() -> tuple[str, str]:
    """(chromium, chromedriver), installed first when missing."""
    if not (shutil.which("chromium") and shutil.which("chromedriver")):
        _install_chromium()
    chromium, chromedriver = shutil.which("chromium"), shutil.which("chromedriver")
    if chromium is None or chromedriver is None:
        raise RuntimeError(f"chromium and chromedriver are still not on PATH after installing {PACKAGES}")
    return chromium, chromedriver


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    report = yield
    setattr(item, f"report_{report.when}", report)
    return report


@pytest.fixture
def browser_at(request: pytest.FixtureRequest, chromium_paths: tuple[str, str]) -> Iterator[Callable]:
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    opened = []

    def open_window(width: int, height: int = 900):
        options = webdriver.ChromeOptions()
        options.binary_location = chromium_paths[0]
        for argument in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu",
                         f"--window-size={width},{height}", "--hide-scrollbars", "--lang=en-US"):  # fmt: skip
            options.add_argument(argument)
        driver = webdriver.Chrome(options=options, service=Service(executable_path=chromium_paths[1]))
        # Headless Chrome's window is at least 500 px wide: a phone's width is emulated (as DevTools does).
        _emulate(driver, width=width, height=height)
        driver.set_page_load_timeout(30)
        driver.implicitly_wait(10)  # a loaded CI machine can take seconds to render a page
        opened.append((width, driver))
        return driver

    yield open_window
    failed = getattr(request.node, "report_call", None) is not None and request.node.report_call.failed
    for width, driver in opened:
        try:
            if failed:
                SCREENSHOTS.mkdir(exist_ok=True)
                driver.save_screenshot(str(SCREENSHOTS / f"FAILED-{_safe(request.node.name)}-{width}.png"))
        finally:
            driver.quit()


@pytest.fixture
def served_media(settings, tmp_path: Path) -> Path:
    """MEDIA_ROOT in this test's temporary folder, served at /media/ by the live server (as `make run` does), so the
    browser shows the photos a test uploads."""
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.MEDIA_URL = "/media/"
    settings.ROOT_URLCONF = "testing.media_urls"
    return settings.MEDIA_ROOT


def _emulate(driver, *, width: int, height: int) -> None:
    driver.execute_cdp_cmd(
        "Emulation.setDeviceMetricsOverride",
        {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": width < 600},
    )


def _safe(name: str) -> str:
    return re.sub(r"[^\w.-]+", "_", name)[:120]


def assert_no_sideways_scroll(driver, *, name: str = "") -> None:
    """Neither the page nor any box inside it scrolls sideways at the window's width."""
    if os.environ.get("SAVE_SCREENSHOTS"):
        SCREENSHOTS.mkdir(exist_ok=True)
        width = driver.execute_script("return window.innerWidth")
        label = name or driver.current_url.split("//", 1)[-1].split("/", 1)[-1]
        # The whole page, not only the window: make the window as tall as the page first.
        height = driver.execute_script("return window.innerHeight")
        full = driver.execute_script("return document.documentElement.scrollHeight")
        _emulate(driver, width=width, height=min(max(full, 400), 6000))
        driver.save_screenshot(str(SCREENSHOTS / f"{_safe(label)}-{width}.png"))
        _emulate(driver, width=width, height=height)
    found = driver.execute_script(SIDEWAYS_SCROLLERS_JS)
    assert found == [], f"{driver.current_url} scrolls sideways: {found}"
