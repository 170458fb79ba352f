"""Issue 15 item 4: one function computes the client's address (xinli.core.middleware.client_ip) and the audit log,
the rate limits and django-axes all use it. X-Forwarded-For counts only from XINLI_TRUSTED_PROXIES."""

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.test import RequestFactory

from xinli.core import audit
from xinli.core.middleware import AuditContextMiddleware, client_ip
from xinli.core.models import AuditEntry


def _request(remote, forwarded=None):
    meta = {"REMOTE_ADDR": remote}
    if forwarded is not None:
        meta["HTTP_X_FORWARDED_FOR"] = forwarded
    return RequestFactory().get("/", **meta)


def test_without_trusted_proxies_the_header_is_ignored(settings):
    settings.XINLI_TRUSTED_PROXIES = ""
    assert client_ip(_request("203.0.113.9", "1.2.3.4")) == "203.0.113.9"
    assert client_ip(_request("203.0.113.9", "1.2.3.4, 5.6.7.8")) == "203.0.113.9"


def test_a_peer_that_is_not_a_trusted_proxy_cannot_forward(settings):
    settings.XINLI_TRUSTED_PROXIES = "127.0.0.1,10.20.0.0/24"
    assert client_ip(_request("203.0.113.9", "1.2.3.4")) == "203.0.113.9"


def test_from_a_trusted_proxy_the_right_most_untrusted_hop_is_the_client(settings):
    settings.XINLI_TRUSTED_PROXIES = "127.0.0.1"
    assert client_ip(_request("127.0.0.1", "198.51.100.7")) == "198.51.100.7"
    # The client forged "1.1.1.1"; nginx appended the address it saw.
    assert client_ip(_request("127.0.0.1", "1.1.1.1, 198.51.100.7")) == "198.51.100.7"
    # No header from the proxy: the proxy itself is the client (e.g. a health check).
    assert client_ip(_request("127.0.0.1")) == "127.0.0.1"


def test_a_chain_of_several_trusted_proxies(settings):
    settings.XINLI_TRUSTED_PROXIES = "127.0.0.1, 10.20.0.0/24, 2001:db8::/32"
    # client -> load balancer 10.20.0.5 -> nginx 10.20.0.9 -> gunicorn (peer 127.0.0.1)
    assert client_ip(_request("127.0.0.1", "6.6.6.6, 198.51.100.7, 10.20.0.5, 10.20.0.9")) == "198.51.100.7"
    assert client_ip(_request("127.0.0.1", "2001:db8::1, 2001:db9::42")) == "2001:db9::42"
    # Every hop is a proxy: the left-most one is as far as can be known.
    assert client_ip(_request("127.0.0.1", "10.20.0.5, 10.20.0.9")) == "10.20.0.5"
    # A hop that is not an address (forged) stops the walk at the last proxy read.
    assert client_ip(_request("127.0.0.1", "not-an-ip, 10.20.0.9")) == "10.20.0.9"


def test_a_bad_trusted_proxy_entry_is_a_configuration_error(settings):
    settings.XINLI_TRUSTED_PROXIES = "127.0.0.1, nginx.local"
    with pytest.raises(ImproperlyConfigured, match="nginx.local"):
        client_ip(_request("127.0.0.1"))


@pytest.mark.django_db
@pytest.mark.parametrize(("trusted", "remote", "forwarded", "recorded"), [
    ("", "203.0.113.9", "1.2.3.4", "203.0.113.9"),
    ("127.0.0.1", "127.0.0.1", "1.2.3.4, 198.51.100.7", "198.51.100.7"),
])
def test_the_audit_log_records_the_computed_address(settings, trusted, remote, forwarded, recorded):
    settings.XINLI_TRUSTED_PROXIES = trusted

    def view(request):
        audit.record(None, audit.Action.SYSTEM, object_type="test", object_id="ip")
        return None

    AuditContextMiddleware(view)(_request(remote, forwarded))
    assert AuditEntry.objects.get(object_type="test", object_id="ip").ip == recorded


def test_axes_uses_the_same_function(settings):
    from axes.helpers import get_client_ip_address

    settings.XINLI_TRUSTED_PROXIES = ""
    assert get_client_ip_address(_request("203.0.113.9", "1.2.3.4")) == "203.0.113.9"


def test_nothing_else_reads_the_address_headers():
    """One function computes the client address: no other module reads REMOTE_ADDR or X-Forwarded-For."""
    from pathlib import Path

    import xinli

    root = Path(xinli.__file__).parent
    readers = sorted(str(p.relative_to(root)) for p in root.rglob("*.py")
                     if "tests" not in p.parts and p.name != "middleware.py"
                     and any(h in p.read_text(encoding="utf-8") for h in ('"HTTP_X_FORWARDED_FOR"', '"REMOTE_ADDR"', "'REMOTE_ADDR'",
                                                                       "get_client_ip")))
    assert readers == []
