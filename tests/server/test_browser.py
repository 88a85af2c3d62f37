"""End to end: the web page in a real headless Chromium (Debian's), against a server on 127.0.0.1."""

import socket
import threading
import time
from pathlib import Path

import pytest

import jointel
from jointel.server import create_app

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
GERMANY = "Germany beat Argentina in Rio de Janeiro."
TEXT = GERMANY + "\n\n\U0001f642 Paris Hilton visited Paris. EU rejects German call."  # 🙂: two UTF-16 units
# The result's text without the type labels: the text as the page shows it.
SHOWN_TEXT = """() => {
  const copy = document.getElementById("result").cloneNode(true);
  copy.querySelectorAll(".label").forEach((label) => label.remove());
  return copy.textContent;
}"""

pytestmark = [
    pytest.mark.skipif(not CHROMIUM.is_file(), reason=f"no Chromium at {CHROMIUM} (apt-get install chromium)"),
]


@pytest.fixture
def server_url(tiny_model_dir):
    """A uvicorn server on a free loopback port, in a thread, stopped after the test."""
    import uvicorn

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    app = create_app(lambda: jointel.load(tiny_model_dir))
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        assert time.monotonic() < deadline and thread.is_alive(), "the server did not start"
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(timeout=10)


def test_page_highlights_and_links_entities(server_url, tmp_path):
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True)
        try:
            page = browser.new_page(viewport={"width": 1000, "height": 640})
            page.goto(server_url + "/")
            page.fill("#text", TEXT)
            page.click("#annotate")
            germany = page.locator("#result a.mention", has_text="Germany")
            germany.wait_for(timeout=15_000)
            assert germany.get_attribute("href") == "https://en.wikipedia.org/wiki/Germany"
            assert germany.get_attribute("class") == "mention LOC"
            assert germany.get_attribute("title").startswith("LOC · Germany · NER ")
            rio = page.locator("#result a.mention", has_text="Rio de Janeiro")
            assert rio.get_attribute("href") == "https://en.wikipedia.org/wiki/Rio_de_Janeiro"
            nil = page.locator("#result .mention.nil")
            assert nil.first.inner_text() == "ArgentinaLOC" and nil.first.get_attribute("href") is None
            assert page.locator("#result a.mention.PER").inner_text() == "Paris HiltonPER"
            for label in ("PER", "LOC", "ORG", "MISC"):
                page.locator(f"#result .mention .label:text-is('{label}')").first.wait_for(timeout=1000)
            assert page.locator("#status").inner_text() == "7 mentions, 5 linked"
            assert page.evaluate(SHOWN_TEXT) == TEXT  # offsets count code points, not UTF-16 units: 🙂 shifts nothing
            page.screenshot(path=str(tmp_path / "annotate-page.png"), full_page=True)
        finally:
            browser.close()
    assert (tmp_path / "annotate-page.png").stat().st_size > 10_000
