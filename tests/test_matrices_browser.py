"""In a real browser: the Matrices page's downloads deliver, one right after another.

Clicking CSV used to rerun the page, which registered every download anew; clicking Excel at once then asked for
a file that was gone ("Deferred file not found") and nothing came, with no message.
"""

from __future__ import annotations

import io

import openpyxl
import pytest

from browser_support import launch

pytestmark = pytest.mark.browser


def test_csv_then_excel_at_once_both_download(demo_server) -> None:  # type: ignore[no-untyped-def]
    from playwright.sync_api import expect, sync_playwright

    base, (project_guid, _document), _url = demo_server
    with sync_playwright() as pw:
        browser = launch(pw)
        page = browser.new_page(viewport={"width": 1400, "height": 1000}, accept_downloads=True)
        page.goto(f"{base}/matrices?project={project_guid}")
        csv_button = page.locator(".st-key-matrix_csv button")
        excel_button = page.locator(".st-key-matrix_xlsx button")
        expect(excel_button).to_be_enabled(timeout=60_000)
        with page.expect_download(timeout=60_000) as csv_download:
            csv_button.click()
        with page.expect_download(timeout=60_000) as excel_download:
            excel_button.click()  # at once: no rerun in between
        csv_bytes = open(csv_download.value.path(), "rb").read()
        excel_bytes = open(excel_download.value.path(), "rb").read()
        names = (csv_download.value.suggested_filename, excel_download.value.suggested_filename)
        browser.close()
    assert names[0].endswith(".csv") and names[1].endswith(".xlsx")
    assert csv_bytes.startswith(b"\xef\xbb\xbf")  # the CSV itself, with its BOM
    book = openpyxl.load_workbook(io.BytesIO(excel_bytes))
    assert "coded segments" in book.sheetnames
    assert book["coded segments"].max_row > 100  # the demo's coded segments, not an empty file
