"""`make catalog`: one site with a book per occupation and a landing page that compares them."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest
from bs4 import BeautifulSoup

from tests.test_build_book import run_build

SOCS = ["29-1122", "29-1123"]


@pytest.fixture(scope="module")
def catalog(built_book):
    dirs, _ = built_book
    result = run_build(dirs | {"CATALOG_SOCS": " ".join(SOCS)}, "--catalog")
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-3000:]
    site = Path(dirs["BUILD_DIR"]) / "site"
    return dirs, site, result.stdout + result.stderr


@pytest.mark.real_files()  # its numbers come from the pinned OEWS history workbooks and EP editions
def test_the_landing_page_compares_each_occupation_with_its_own_numbers(catalog):
    dirs, site, _ = catalog
    soup = BeautifulSoup((site / "index.html").read_text(), "html.parser")
    rows = [[td.get_text(strip=True) for td in tr.select("td")] for tr in soup.select("tbody tr")]
    with duckdb.connect(str(Path(dirs["WAREHOUSE_DIR"]) / "warehouse.duckdb"), read_only=True) as con:
        expected = con.execute(
            """
            SELECT n.occupation_title, n.soc_code, n.employment_count, n.annual_median_wage_usd,
                   e.employment_change_pct, e.openings_annual_avg_count
            FROM mart_oews__national_wages n JOIN mart_ep__occupation_outlook e USING (soc_code)
            WHERE e.is_latest_edition AND list_contains(?, n.soc_code) ORDER BY n.soc_code
            """,
            [SOCS],
        ).fetchall()
        # Pay change May 2020 to May 2025, as published and after inflation, from the real-wage mart.
        pay = {
            soc: con.execute(
                """
                SELECT annual_median_wage_usd, annual_median_wage_real_usd FROM mart_oews__real_wages
                WHERE soc_code = ? AND annual_median_wage_real_usd IS NOT NULL ORDER BY reference_year
                """,
                [soc],
            ).fetchall()
            for soc in SOCS
        }

    def change(new, old) -> str:
        return f"{(new / old - 1) * 100:+.1f}%"

    assert rows == [
        [
            title,
            soc,
            f"{emp:,}",
            f"${median:,.0f}",
            f"{growth:.1f}%",
            f"{openings:,}",
            change(pay[soc][-1][0], pay[soc][0][0]),
            change(pay[soc][-1][1], pay[soc][0][1]),
        ]
        for title, soc, emp, median, growth, openings in expected
    ]
    assert [r[0] for r in rows] == ["Occupational Therapists", "Physical Therapists"]
    # Worked by hand from the CPI-U May indexes (256.394, 321.465) and the OEWS medians: OT $86,280 -> $100,330.
    assert rows[0][6:] == ["+16.3%", "-7.3%"] and rows[1][6:] == ["+12.9%", "-9.9%"]


def test_every_occupation_link_opens_that_occupations_book(catalog):
    _, site, _ = catalog
    soup = BeautifulSoup((site / "index.html").read_text(), "html.parser")
    links = {a.get_text(strip=True): a["href"] for a in soup.select("tbody a")}
    assert links == {"Occupational Therapists": "29-1122/index.html", "Physical Therapists": "29-1123/index.html"}
    for title, href in links.items():
        book = BeautifulSoup((site / href).read_text(), "html.parser")
        # The root index redirects to the executive summary; follow it like a browser would.
        target = book.find("meta", attrs={"http-equiv": "Refresh"})
        page = site / Path(href).parent / (target["content"].split("url=")[-1] if target else "")
        text = BeautifulSoup(page.read_text(), "html.parser").get_text(" ")
        assert title in text
    # Physical therapy is one of the occupations the practical chapters were written for: it keeps them all.
    assert (site / "29-1123" / "notebooks" / "hiring_loop.html").exists()
    # Only the page comparing it with its neighbours may name occupational therapists: they are one of them.
    pt_pages = [p for p in (site / "29-1123").rglob("*.html") if p.stem != "similar_occupations"]
    assert not any("occupational therap" in p.read_text().lower() for p in pt_pages)


def test_the_landing_page_loads_nothing_from_outside_the_site(catalog):
    _, site, _ = catalog
    soup = BeautifulSoup((site / "index.html").read_text(), "html.parser")
    # Outbound links to the sources' official pages are not loaded; nothing the page loads is outside the site.
    loaded = [tag.get("src") or tag.get("href") or "" for tag in soup.find_all(["img", "script", "link", "iframe"])]
    assert not any(url.startswith(("http://", "https://", "//")) for url in loaded) and not soup.find("script")
    outbound = [a["href"] for a in soup.find_all("a", href=True) if a["href"].startswith("http")]
    assert outbound and all(url.startswith("https://www.bls.gov/") for url in outbound)
    assert (site / "_static" / "data" / "occupations.csv").read_text().startswith("soc_code,")


def test_the_partitioned_books_were_each_built_on_their_own(catalog):
    dirs, _, log = catalog
    build = Path(dirs["BUILD_DIR"])
    for soc in SOCS:
        assert f"Book built: {build / soc / 'html' / 'index.html'}" in log
        assert (build / soc / "state" / "book.json").exists()
    # The book the session built first was up to date, so the catalogue did not rebuild it.
    assert log.count("The book is up to date; not rebuilt.") == 1
    assert "Catalogue built" in log


def test_the_landing_page_renders_in_a_browser_and_its_links_open_the_books(catalog):
    """Chromium over 127.0.0.1: the chart renders, nothing is requested from outside, each link opens a book."""
    import functools
    import http.server
    import threading

    from playwright.sync_api import sync_playwright

    from tests.test_browser import ARGS, CHROMIUM, _QuietHandler

    _, site, _ = catalog
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(_QuietHandler, directory=str(site)))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_address[1]}/"
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
            page = browser.new_page()
            errors, outside = [], []
            page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
            page.on(
                "request",
                lambda req: outside.append(req.url) if not req.url.startswith(("http://127.0.0.1", "data:")) else None,
            )
            page.goto(base, wait_until="networkidle")
            assert page.evaluate("document.querySelector('figure img').naturalWidth") > 0
            page.click("text=Physical Therapists")
            page.wait_for_load_state("networkidle")
            assert "/29-1123/" in page.url and "Physical Therapists" in page.title()
            assert errors == [] and outside == []
            browser.close()
    finally:
        server.shutdown()
