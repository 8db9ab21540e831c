"""Behaviour of the open classifier (cadenza_metrics.domain.opens)."""

from __future__ import annotations

import pytest

from cadenza_metrics.domain.opens import classify_open

HUMAN = [
    # Apple Mail on macOS, Outlook desktop, Thunderbird, iPhone Mail, Chrome on Android (Gmail web opens go through the proxy)
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko)",
    "Microsoft Office/16.0 (Windows NT 10.0; Microsoft Outlook 16.0.17328; Pro)",
    "Mozilla/5.0 (X11; Linux x86_64; rv:115.0) Gecko/20100101 Thunderbird/115.6.0",
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_2 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148",
    "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0 Mobile Safari/537.36",
    "Mozilla/5.0 (Linux; Android 9; CUBOT P30) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/119.0 Mobile Safari/537.36",
]

MACHINE = [
    None,
    "",
    "   ",
    "Mozilla/5.0",  # Apple Mail Privacy Protection and other proxies
    "Mozilla/5.0 (Windows NT 5.1; rv:11.0) Gecko Firefox/11.0 (via ggpht.com GoogleImageProxy)",
    "YahooMailProxy; https://help.yahoo.com/kb/yahoo-mail-proxy-SLN28749.html",
    "Mozilla/5.0 (compatible; Barracuda Sentinel)",
    "Mimecast-URL-Protect/1.0",
    "Mozilla/5.0 (Windows NT 6.1; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Proofpoint",
    "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) HeadlessChrome/120.0 Safari/537.36",
    "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
    "Mozilla/5.0 (compatible; link scanner)",
    "curl/8.4.0",
    "python-requests/2.31.0",
    "Go-http-client/1.1",
]


@pytest.mark.parametrize("user_agent", HUMAN)
def test_mail_clients_and_browsers_are_people(user_agent: str) -> None:
    assert classify_open(user_agent) == "human"


@pytest.mark.parametrize("user_agent", MACHINE)
def test_proxies_scanners_bots_and_missing_agents_are_machines(user_agent: str | None) -> None:
    assert classify_open(user_agent) == "machine"


def test_matching_ignores_case() -> None:
    assert classify_open("mozilla/5.0 (via GGPHT.COM googleimageproxy)") == "machine"
