"""The subscription target guard: which addresses Sway refuses to send to, and how a URL's host
is found and resolved."""

import ipaddress

import pytest

from shared.domain.subscription import targets


class TestRefusedAddress:
    @pytest.mark.parametrize(
        ("address", "kind"),
        [
            ("127.0.0.1", "loopback"),
            ("::1", "loopback"),
            ("10.1.2.3", "private"),
            ("172.31.255.255", "private"),
            ("192.168.0.10", "private"),
            ("fd12:3456::1", "private"),
            ("169.254.169.254", "link-local"),
            ("fe80::1", "link-local"),
            ("224.0.0.251", "multicast"),
            ("ff02::1", "multicast"),
            ("240.0.0.1", "reserved"),
            ("0.0.0.0", "unspecified"),
            ("::", "unspecified"),
            ("::ffff:127.0.0.1", "loopback"),  # IPv4-mapped: judged as the IPv4 address
            ("::ffff:10.0.0.1", "private"),
        ],
    )
    def test_refused(self, address, kind):
        reason = targets.refused_address(ipaddress.ip_address(address))
        assert reason is not None and kind in reason

    @pytest.mark.parametrize("address", ["100.64.0.1", "192.0.2.1", "2001:db8::1"])
    def test_other_non_global_ranges_refused(self, address):
        assert targets.refused_address(ipaddress.ip_address(address)) is not None

    @pytest.mark.parametrize("address", ["8.8.8.8", "93.184.215.14", "2606:4700:4700::1111"])
    def test_public_accepted(self, address):
        assert targets.refused_address(ipaddress.ip_address(address)) is None


class TestCheck:
    @pytest.mark.parametrize(
        "url",
        [
            "ftp://example.com/x",
            "https://",
            "mailto:a@example.com",
            "http://a:99999/",
            "http://[1/",
        ],
    )
    async def test_bad_shapes_refused_even_when_private_allowed(self, url):
        with pytest.raises(targets.TargetRefused):
            await targets.check(url, allow_private=True)

    async def test_a_name_resolving_to_loopback_is_refused(self):
        with pytest.raises(targets.TargetRefused, match="loopback"):
            await targets.check("http://localhost:8080/x", allow_private=False)

    async def test_an_unresolvable_name_is_refused(self):
        with pytest.raises(targets.TargetRefused, match="does not resolve"):
            await targets.check("https://no-such-host.invalid/x", allow_private=False)

    async def test_allowed_private_skips_resolution(self):
        await targets.check("https://no-such-host.invalid/x", allow_private=True)
        await targets.check("http://127.0.0.1:9/x", allow_private=True)

    async def test_public_literal_accepted(self):
        await targets.check("https://8.8.8.8/hooks", allow_private=False)
