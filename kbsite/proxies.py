"""Who is really asking: ``X-Forwarded-For`` is believed only from the proxies the operator names.

``KBSITE_TRUSTED_PROXIES`` is either a count (the number of proxies in front of
the app, handled by werkzeug's ProxyFix) or a list of addresses and networks
(``127.0.0.1, 10.0.0.0/8``): a request whose peer is in the list has its client
taken from the right-most address in ``X-Forwarded-For`` that is not a trusted
proxy. Without the setting, forwarding headers are ignored, so a client cannot
dodge the login limits by inventing them.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable

from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix

Network = ipaddress.IPv4Network | ipaddress.IPv6Network
ORIGINAL_PEER = "kbsite.proxy.peer"


def parse(setting) -> int | list[Network]:
    """A count (int or digits) or a list of networks; ValueError naming a bad entry."""
    if setting in (None, "", 0, "0", False):
        return 0
    if isinstance(setting, int) or (isinstance(setting, str) and setting.strip().isdigit()):
        return int(setting)
    entries = setting if isinstance(setting, list | tuple) else str(setting).replace(";", ",").split(",")
    networks = []
    for entry in (str(e).strip() for e in entries):
        if entry:
            try:
                networks.append(ipaddress.ip_network(entry, strict=False))
            except ValueError:
                raise ValueError(f"KBSITE_TRUSTED_PROXIES 中的地址无效：{entry}") from None
    return networks


def _trusted(address: str, networks: Iterable[Network]) -> bool:
    try:
        ip = ipaddress.ip_address(address.strip())
    except ValueError:
        return False
    return any(ip in net for net in networks)


class TrustedProxies:
    """WSGI middleware: forwarding headers count only when the peer is a listed proxy."""

    def __init__(self, app, networks: list[Network]):
        self.app, self.networks = app, networks

    def __call__(self, environ, start_response):
        peer = environ.get("REMOTE_ADDR", "")
        environ[ORIGINAL_PEER] = peer
        if _trusted(peer, self.networks):
            hops = [h.strip() for h in environ.get("HTTP_X_FORWARDED_FOR", "").split(",") if h.strip()]
            client = next((h for h in reversed(hops) if not _trusted(h, self.networks)), hops[0] if hops else peer)
            environ["REMOTE_ADDR"] = client
            proto = environ.get("HTTP_X_FORWARDED_PROTO", "").split(",")[-1].strip().lower()
            if proto in ("http", "https"):
                environ["wsgi.url_scheme"] = proto
        return self.app(environ, start_response)


class _CountedProxies(ProxyFix):
    """ProxyFix that also records the direct peer, as TrustedProxies does."""

    def __call__(self, environ, start_response):
        environ[ORIGINAL_PEER] = environ.get("REMOTE_ADDR", "")
        return super().__call__(environ, start_response)


def init_app(app: Flask) -> None:
    """Wrap the WSGI app according to ``TRUSTED_PROXIES`` (nothing when unset)."""
    trusted = parse(app.config.get("TRUSTED_PROXIES"))
    if isinstance(trusted, int) and trusted:
        app.wsgi_app = _CountedProxies(app.wsgi_app, x_for=trusted, x_proto=trusted)  # type: ignore[method-assign]
    elif trusted:
        app.wsgi_app = TrustedProxies(app.wsgi_app, trusted)  # type: ignore[method-assign]


def direct_peer(environ) -> str:
    """The address the connection came from, before any forwarding header was applied."""
    return environ.get(ORIGINAL_PEER, environ.get("REMOTE_ADDR", ""))
