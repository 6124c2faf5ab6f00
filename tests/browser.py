"""Open an HTML file in headless Chromium (selenium) and return plain facts about the page.

Needs /usr/bin/chromium and /usr/bin/chromedriver (Debian: ``apt-get install -y
chromium chromium-driver``); without them ``open_page`` raises ``BrowserMissing``
with that instruction, so a test using it fails instead of being skipped.
"""
from __future__ import annotations

import base64
import os
import time
from dataclasses import dataclass, field
from pathlib import Path

CHROMIUM = os.environ.get("CCSIM_CHROMIUM", "/usr/bin/chromium")
CHROMEDRIVER = os.environ.get("CCSIM_CHROMEDRIVER", "/usr/bin/chromedriver")
WINDOW = (1400, 1000)

# Counted in the page once the charts have drawn.
_FACTS_JS = """
const charts = document.querySelectorAll('.ccsim-chart');
const plots = Array.from(document.querySelectorAll('.js-plotly-plot'));
const rendered = plots.filter(p => p.querySelector('svg.main-svg'));
return {
  chart_divs: charts.length,
  plotly_divs: plots.length,
  rendered_plots: rendered.length,
  trace_elements: document.querySelectorAll('.js-plotly-plot g.trace').length,
  traces_in_data: rendered.reduce((n, p) => n + (p.data ? p.data.length : 0), 0),
  js_errors: (window.__ccsimErrors || []).slice(),
  boxes: Object.fromEntries(Array.from(charts).map(c => {
    const r = c.getBoundingClientRect();
    const svg = c.querySelector('svg.main-svg');
    return [c.id, {width: r.width, height: r.height, markers: c.querySelectorAll('path.point').length,
                   visible: !!svg && c.offsetParent !== null && getComputedStyle(c).visibility !== 'hidden'}];
  })),
  title: document.title,
};
"""
# Installed before any page script runs, so errors thrown while loading are caught too.
_ERROR_HOOK = """
window.__ccsimErrors = [];
window.addEventListener('error', e => window.__ccsimErrors.push(String(e.message)));
window.addEventListener('unhandledrejection', e => window.__ccsimErrors.push('unhandled rejection: ' + String(e.reason)));
"""


class BrowserMissing(RuntimeError):
    """Chromium or chromedriver is not installed."""


@dataclass
class PageFacts:
    chart_divs: int  # <div class="ccsim-chart">
    plotly_divs: int  # .js-plotly-plot
    rendered_plots: int  # .js-plotly-plot holding an svg.main-svg
    trace_elements: int  # g.trace elements drawn by plotly
    traces_in_data: int  # traces in the plots' data
    severe: list  # SEVERE console messages and uncaught JS errors
    console: list = field(default_factory=list)  # every console entry (level, message)
    screenshot: Path | None = None
    page_height: int = 0
    title: str = ""
    boxes: dict = field(default_factory=dict)  # {chart div id: {width, height, markers, visible}}


def require_browser() -> None:
    missing = [p for p in (CHROMIUM, CHROMEDRIVER) if not os.access(p, os.X_OK)]
    if missing:
        raise BrowserMissing(
            f"headless Chromium is needed for the report tests but {', '.join(missing)} is missing; "
            "install it with: apt-get install -y chromium chromium-driver"
        )


def _driver():
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for arg in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                f"--window-size={WINDOW[0]},{WINDOW[1]}", "--allow-file-access-from-files"):
        options.add_argument(arg)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    return webdriver.Chrome(service=Service(executable_path=CHROMEDRIVER), options=options)


def open_page(html_path, screenshot=None, timeout: float = 60.0) -> PageFacts:
    """Load ``html_path``, wait until every plotly div has drawn (or ``timeout`` s),
    collect the facts and save a full-page PNG to ``screenshot`` if given."""
    require_browser()
    driver = _driver()
    try:
        driver.set_window_size(*WINDOW)
        driver.execute_cdp_cmd("Page.addScriptToEvaluateOnNewDocument", {"source": _ERROR_HOOK})
        driver.get(Path(html_path).resolve().as_uri())
        facts = _wait_rendered(driver, timeout)
        time.sleep(0.3)  # let responsive relayouts settle before the picture
        facts = driver.execute_script(_FACTS_JS)
        console = [(e.get("level"), e.get("message")) for e in driver.get_log("browser")]
        severe = [m for level, m in console if level == "SEVERE"] + list(facts.pop("js_errors"))
        height = int(driver.execute_script("return document.documentElement.scrollHeight"))
        shot = _screenshot(driver, Path(screenshot), height) if screenshot else None
        return PageFacts(severe=severe, console=console, screenshot=shot, page_height=height, **facts)
    finally:
        driver.quit()


def _wait_rendered(driver, timeout: float) -> dict:
    deadline = time.monotonic() + timeout
    while True:
        facts = driver.execute_script(_FACTS_JS)
        done = driver.execute_script("return document.readyState") == "complete"
        if done and facts["rendered_plots"] >= facts["plotly_divs"]:
            return facts
        if time.monotonic() > deadline:
            return facts
        time.sleep(0.2)


def _screenshot(driver, path: Path, height: int) -> Path:
    """The whole page, not only the window (Chrome DevTools captureBeyondViewport)."""
    width = int(driver.execute_script("return document.documentElement.scrollWidth"))
    shot = driver.execute_cdp_cmd("Page.captureScreenshot", {
        "format": "png", "captureBeyondViewport": True,
        "clip": {"x": 0, "y": 0, "width": width, "height": height, "scale": 1},
    })
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(base64.b64decode(shot["data"]))
    return path
