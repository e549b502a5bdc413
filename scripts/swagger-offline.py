"""Swagger UI at /docs/ loads with no network but the server itself: no failed request,
no request to another host, and the document's title rendered.

Usage: python3 swagger-offline.py BASE_URL   (Debian's /usr/bin/chromium, driven by Playwright)
"""

import sys
from urllib.parse import urlparse

from playwright.sync_api import sync_playwright


def main(base_url: str) -> None:
    own = urlparse(base_url).netloc
    failures = []
    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path="/usr/bin/chromium",
            args=["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic"],
        )
        page = browser.new_page()
        page.on("requestfailed", lambda r: failures.append(f"failed: {r.url}"))
        page.on("response", lambda r: r.status >= 400 and failures.append(f"{r.status}: {r.url}"))
        page.on("request", lambda r: urlparse(r.url).netloc not in (own, "") and not r.url.startswith("data:")
                and failures.append(f"off-site: {r.url}"))
        page.goto(f"{base_url}/docs/", wait_until="networkidle")
        page.wait_for_selector(".swagger-ui .info .title", timeout=15000)
        title = page.inner_text(".swagger-ui .info .title")
        operations = page.locator(".opblock").count()
        authorize = page.locator("button.authorize").count()
        browser.close()
    assert "Parley API" in title, title
    assert operations >= 70, operations
    assert authorize == 1, "no Authorize button for the bearer scheme"
    assert not failures, failures
    print("swagger: 1 passed, 0 failed")


if __name__ == "__main__":
    main(sys.argv[1])
