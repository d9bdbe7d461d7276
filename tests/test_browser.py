"""The built site in a real browser: Debian's Chromium, headless, driven by Playwright over 127.0.0.1.

Every page loads with no console error and no request leaving localhost; every figure renders with alt text;
the search page finds a word from the text; every internal link resolves.
"""

from __future__ import annotations

import functools
import http.server
import re
import shutil
import threading
from pathlib import Path
from urllib.parse import unquote, urljoin, urlparse

import pytest

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


@pytest.fixture(scope="module")
def site(built_book):
    _, html_dir = built_book
    handler = functools.partial(_QuietHandler, directory=str(html_dir))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/", html_dir
    server.shutdown()


@pytest.fixture(scope="module")
def browser():
    if not Path(CHROMIUM).exists():
        pytest.fail(f"Chromium not found at {CHROMIUM}: install Debian's chromium package (.ci/run does this)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        yield b
        b.close()


def _pages(html_dir: Path, content_only: bool = False) -> list[str]:
    """Every HTML page of the site; with content_only, not the root page that only redirects to the first chapter."""
    pages = [
        p
        for p in html_dir.rglob("*.html")
        if not p.name.startswith("_") and "_static" not in p.parts and "_sources" not in p.parts
    ]
    if content_only:
        pages = [p for p in pages if 'http-equiv="Refresh"' not in p.read_text()]
    return sorted(str(p.relative_to(html_dir)) for p in pages)


def test_every_page_loads_cleanly_and_stays_on_localhost(site, browser):
    base, html_dir = site
    problems = []
    context = browser.new_context()
    for rel in _pages(html_dir):
        page = context.new_page()
        errors, outside = [], []
        page.on("console", lambda msg, errors=errors: errors.append(msg.text) if msg.type == "error" else None)
        page.on("pageerror", lambda exc, errors=errors: errors.append(str(exc)))
        page.on(
            "request",
            lambda req, outside=outside: (
                outside.append(req.url)
                if not req.url.startswith(("http://127.0.0.1", "data:", "blob:", "about:"))
                else None
            ),
        )
        response = page.goto(base + rel, wait_until="networkidle")
        if response is None or response.status != 200:
            problems.append(f"{rel}: HTTP {response.status if response else 'no response'}")
        problems += [f"{rel}: console error: {e}" for e in errors]
        problems += [f"{rel}: request leaves localhost: {u}" for u in outside]
        page.close()
    context.close()
    assert problems == []


def test_every_figure_renders_with_alt_text(site, browser):
    base, html_dir = site
    page = browser.new_page()
    checked, problems = 0, []
    for rel in _pages(html_dir, content_only=True):
        page.goto(base + rel, wait_until="load")
        for fig in page.query_selector_all("figure.report-figure img"):
            checked += 1
            alt = (fig.get_attribute("alt") or "").strip()
            width = page.evaluate("(img) => img.complete ? img.naturalWidth : 0", fig)
            if not alt:
                problems.append(f"{rel}: a figure has no alt text")
            if width == 0:
                problems.append(f"{rel}: figure '{alt[:60]}' did not render")
    page.close()
    assert checked >= 3, "the book should hold several figures"
    assert problems == []


def test_search_finds_a_word_from_the_text(site, browser):
    base, _ = site
    page = browser.new_page()
    page.goto(base + "search.html?q=percentile", wait_until="networkidle")
    page.wait_for_selector("#search-results ul.search li", timeout=15000)
    hits = page.query_selector_all("#search-results ul.search li a")
    assert any("market_snapshot" in (h.get_attribute("href") or "") for h in hits)
    page.close()


def test_every_internal_link_resolves(site):
    base, html_dir = site
    broken = []
    for rel in _pages(html_dir):
        text = (html_dir / rel).read_text()
        for anchor, href in re.findall(r'(<a\s[^>]*href="([^"]+)")', text):
            if href.startswith(("http://", "https://", "mailto:", "javascript:")) or href.startswith("#"):
                continue
            if 'class="published-edition"' in anchor:
                continue  # another edition's page, beside this book once published (tests/test_publish.py)
            target = urlparse(urljoin(base + rel, href))
            path = html_dir / unquote(target.path).lstrip("/")
            if path.is_dir():
                path = path / "index.html"
            if not path.exists():
                broken.append(f"{rel} -> {href}")
                continue
            if target.fragment and path.suffix == ".html":
                if not re.search(rf'id="{re.escape(target.fragment)}"', path.read_text()):
                    broken.append(f"{rel} -> {href} (no such anchor)")
    assert broken == []


AXE = Path(__file__).resolve().parents[1] / "node_modules" / "axe-core" / "axe.min.js"
WCAG_21_A_AA = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]


def test_axe_finds_no_wcag_violation_on_any_page(site, browser):
    """axe-core (npm, package.json) on every page, WCAG 2.1 levels A and AA. A violation is named with its page,
    rule and elements, and whether it sits in the page's own content or in the theme's frame around it."""
    if not AXE.exists():
        pytest.fail(f"axe-core is missing at {AXE}: run `make install` (npm ci installs it from package-lock.json)")
    base, html_dir = site
    script = AXE.read_text()
    page = browser.new_page()
    problems = []
    for rel in _pages(html_dir, content_only=True):
        page.goto(base + rel, wait_until="load")
        page.add_script_tag(content=script)
        violations = page.evaluate(
            """async (tags) => (await axe.run(document, {runOnly: {type: 'tag', values: tags}})).violations.map(
                   v => ({id: v.id, help: v.help, nodes: v.nodes.map(n => ({
                       target: n.target.join(' '),
                       content: !!document.querySelector(n.target.join(' '))?.closest('article')}))}))""",
            WCAG_21_A_AA,
        )
        for v in violations:
            where = "page content" if any(n["content"] for n in v["nodes"]) else "theme frame"
            targets = "; ".join(n["target"] for n in v["nodes"][:3])
            problems.append(f"{rel}: {v['id']} ({v['help']}) in the {where}, {len(v['nodes'])} element(s): {targets}")
    page.close()
    assert problems == []
