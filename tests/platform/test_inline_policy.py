"""No inline style or script the security policy would block (issue 15), on every page the demo's
roles reach by following links from the home page.

The Content-Security-Policy (common/middleware.py) refuses `style="…"` attributes, <style> and
<script> elements without the request's nonce, and inline event handlers (`onclick=` …); a
json_script data block (type application/json) runs nothing and is allowed. The pages that the
policy lets use inline styles (CSP_INLINE_STYLE_PATHS: the API docs) are
checked for scripts only.
"""

from __future__ import annotations

from collections import deque
from datetime import UTC, datetime
from html.parser import HTMLParser
from urllib.parse import urldefrag, urlsplit

import pytest
import time_machine

from accounts.models import User
from common.middleware import CSP_INLINE_STYLE_PATHS
from demo.load import demo_data_load

NOW = datetime(2026, 11, 22, 9, tzinfo=UTC)
ROLES = ("engineer-malarenergi", "viewer-malarenergi", "fsp-nordicflex", "analyst-ei")
PAGES_PER_ROLE = 60
# Not pages: downloads, the API, the admin, logging out, the language switch.
SKIP = ("/api/", "/admin/", "/accounts/logout", "/i18n/", "/static/", "/media/")
SKIP_SUFFIXES = (".csv", ".xlsx", ".pdf", ".json", ".geojson", ".png", ".svg", ".ico")
DATA_TYPES = {"application/json", "application/ld+json", "application/geo+json"}


class _Inline(HTMLParser):
    def __init__(self, nonce: str) -> None:
        super().__init__()
        self.nonce = nonce
        self.links: list[str] = []
        self.styles: list[str] = []
        self.scripts: list[str] = []
        self._open_script = False

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if "style" in a:
            self.styles.append(f"<{tag} style={a['style']!r}>")
        for name in a:
            if name.startswith("on"):
                self.scripts.append(f"<{tag} {name}=…>")
        nonced = self.nonce and a.get("nonce") == self.nonce
        if tag == "style" and not nonced:
            self.styles.append("<style> without nonce")
        if tag == "script" and "src" not in a and not nonced and (a.get("type") or "") not in DATA_TYPES:
            self.scripts.append("<script> without src or nonce")
        if tag == "a" and a.get("href"):
            self.links.append(a["href"])


def _nonce(response) -> str:
    policy = response.get("Content-Security-Policy", "")
    for part in policy.split():
        if part.startswith("'nonce-"):
            return part[len("'nonce-"):-1]
    return ""


def _followable(href: str) -> str | None:
    url, _fragment = urldefrag(href)
    parts = urlsplit(url)
    if parts.scheme or parts.netloc or not parts.path.startswith("/"):
        return None
    if parts.path.startswith(SKIP) or parts.path.endswith(SKIP_SUFFIXES) or "download" in parts.path:
        return None
    return parts.path + (f"?{parts.query}" if parts.query and "page=" not in parts.query else "")


@pytest.fixture
def demo(db):
    with time_machine.travel(NOW, tick=False):
        demo_data_load()


@pytest.mark.slow
def test_no_page_of_the_demo_roles_has_inline_code_the_policy_blocks(client, demo):
    problems: list[str] = []
    seen_total = 0
    with time_machine.travel(NOW, tick=False):
        for username in ROLES:
            client.force_login(User.objects.get(username=username))
            queue, seen = deque(["/"]), {"/"}
            while queue and len(seen) <= PAGES_PER_ROLE:
                path = queue.popleft()
                response = client.get(path)
                if response.status_code != 200 or "text/html" not in response.get("Content-Type", ""):
                    continue
                seen_total += 1
                parser = _Inline(_nonce(response))
                parser.feed(response.content.decode())
                found = parser.scripts + ([] if path.startswith(CSP_INLINE_STYLE_PATHS) else parser.styles)
                if found:
                    problems.append(f"{username} {path}: {sorted(set(found))}")
                for href in parser.links:
                    target = _followable(href)
                    if target and target not in seen:
                        seen.add(target)
                        queue.append(target)
    assert seen_total >= 40, seen_total  # the crawl reached the roles' pages
    assert not problems, "\n".join(problems)
