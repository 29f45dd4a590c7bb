"""Chat cannot make the bot fetch inside its network (issue 12 §2), under the production rules.

Every test here swaps the ``chat`` harness to the default ``MediaRules()`` (no private hosts,
ports 80/443) and to a fake network: ``FakeResolver`` answers names, and the dialer is the only
way out — ``NoDialer`` fails the test on any connection attempt, ``LoopbackDialer`` sends requests
pinned to a public-looking address to the loopback media server. Nothing connects elsewhere.
"""

from __future__ import annotations

from dataclasses import replace
from ipaddress import ip_address

import httpx
import pytest

from bot.config import MediaRules
from bot.netguard import Guard, GuardedTransport, Network, Reason, Refused, is_public, numeric_v4
from tests.commands.conftest import Chat
from tests.fakenet import PUBLIC_IP, PUBLIC_IP_2, LoopbackDialer, NoDialer, network

PRIVATE = "that address is inside a private network; I only fetch public http(s) URLs"

NAMES = {
    "localhost": ["127.0.0.1"],
    "db.internal.example": ["10.1.2.3"],
    "rebind.example": [PUBLIC_IP, "127.0.0.1"],  # one public, one private answer
    "metadata.example": ["169.254.169.254"],
    "v6only.example": ["::1"],
    "cdn.example.com": [PUBLIC_IP],
    "img.example.org": [PUBLIC_IP_2],
}


def nothing_sent(chat: Chat) -> bool:
    """Only the account list was read (the parser needs it to tell targets from words)."""
    return [(e.method, e.path) for e in chat.sandbox.state.log] in ([], [("GET", "/v1/accounts")])


def production(chat: Chat, dial: LoopbackDialer | NoDialer | None = None, **rules: object) -> None:
    net, resolver, dialer = network(NAMES, dial or NoDialer())
    chat.core.settings = replace(chat.core.settings, media=MediaRules(**rules))  # type: ignore[arg-type]
    chat.core.network = net
    chat.resolver, chat.dialer = resolver, dialer  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    "url",
    [
        "http://2130706433/a.jpg",  # dword
        "http://0x7f000001/a.jpg",  # hex
        "http://017700000001/a.jpg",  # octal
        "http://127.1/a.jpg",  # short form
        "http://0x7f.1/a.jpg",
        "http://0/a.jpg",  # 0.0.0.0
        "http://127.0.0.1./a.jpg",
        "http://[::ffff:127.0.0.1]/a.jpg",  # IPv4-mapped
        "http://[::ffff:7f00:1]/a.jpg",
        "http://[::1]/a.jpg",
        "http://[::]/a.jpg",
        "http://[64:ff9b::7f00:1]/a.jpg",  # NAT64 of 127.0.0.1
        "http://[64:ff9b::a9fe:a9fe]/a.jpg",  # NAT64 of 169.254.169.254
        "http://[2002:a00:1::]/a.jpg",  # 6to4 of 10.0.0.1
        "http://[fe80::1%25eth0]/a.jpg",  # link-local with a zone
        "http://[fc00::1]/a.jpg",  # unique local
        "http://[ff02::1]/a.jpg",  # multicast
        "http://169.254.169.254/latest/meta-data/",  # cloud metadata
        "http://10.0.0.5/a.jpg",
        "http://172.16.0.1/a.jpg",
        "http://192.168.1.1/a.jpg",
        "http://100.64.0.1/a.jpg",  # CGNAT
        "http://224.0.0.1/a.jpg",  # multicast
        "http://240.0.0.1/a.jpg",  # reserved
        "http://255.255.255.255/a.jpg",
        "http://192.0.2.10/a.jpg",  # documentation
        "https://localhost/a.jpg",  # names that resolve inside
        "HTTP://LOCALHOST:80/a.jpg",
        "http://db.internal.example/a.jpg",
        "http://metadata.example/latest",
        "http://rebind.example/a.jpg",
        "http://v6only.example/a.jpg",
    ],
)
async def test_every_private_form_is_refused_before_any_connection(chat: Chat, url: str) -> None:
    production(chat)
    e = chat.error(await chat.post(f'ig "a" media:{url}'))
    assert PRIVATE in e.problems[0] and e.problems[0].lower().startswith("media:http")
    assert "redirects" not in e.problems[0]
    assert chat.dialer.attempts == []  # type: ignore[attr-defined]
    assert nothing_sent(chat)


async def test_the_cover_is_checked_too(chat: Chat) -> None:
    production(chat)
    clip = "http://cdn.example.com/m/clip.mp4"
    e = chat.error(await chat.post(f'ig "a" type:reel media:{clip} cover:http://127.1/c.jpg'))
    assert e.problems[0].startswith("cover:http://127.1/c.jpg: " + PRIVATE)
    assert chat.dialer.attempts == []  # type: ignore[attr-defined]


async def test_a_public_address_is_fetched_from_the_checked_address(chat: Chat) -> None:
    dialer = LoopbackDialer({PUBLIC_IP: chat.media.port})
    production(chat, dialer)
    r = chat.ok(await chat.post('ig "Golden hour" media:http://cdn.example.com/m/photo.jpg'))
    api = await chat.api_post(r)
    assert len(api["mediaIds"]) == 1
    assert [(s.pinned, s.host_header) for s in dialer.sent] == [(PUBLIC_IP, "cdn.example.com")]
    assert chat.media.hits == ["photo.jpg"] and chat.media.hosts == ["cdn.example.com"]
    # one answer, asked once, is both what was checked and what was connected to
    assert chat.resolver.lookups == ["cdn.example.com"]  # type: ignore[attr-defined]


async def test_a_redirect_into_the_network_is_refused(chat: Chat) -> None:
    dialer = LoopbackDialer({PUBLIC_IP: chat.media.port})
    production(chat, dialer)
    inside = "http://169.254.169.254/latest/meta-data/"
    e = chat.error(await chat.post(f'ig "a" media:http://cdn.example.com/r?to={inside}'))
    assert e.problems[0] == (
        "media:http://cdn.example.com/r: it redirects to http://169.254.169.254/latest/meta-data/, "
        f"and {PRIVATE}."
    )
    assert [s.pinned for s in dialer.sent] == [PUBLIC_IP]  # the first hop only
    assert chat.media.hits == ["redirect"]
    assert nothing_sent(chat)


async def test_a_redirect_to_a_name_inside_and_to_another_scheme(chat: Chat) -> None:
    dialer = LoopbackDialer({PUBLIC_IP: chat.media.port})
    production(chat, dialer)
    e = chat.error(
        await chat.post('ig "a" media:http://cdn.example.com/r?to=http://localhost:80/x.jpg')
    )
    assert "redirects to http://localhost/x.jpg, and " + PRIVATE in e.problems[0]
    e = chat.error(await chat.post('ig "a" media:http://cdn.example.com/r?to=file:///etc/passwd'))
    assert "it redirects to a file: address" in e.problems[0]
    assert {s.pinned for s in dialer.sent} == {PUBLIC_IP}


async def test_redirects_are_followed_five_times_at_most(chat: Chat) -> None:
    dialer = LoopbackDialer({PUBLIC_IP: chat.media.port})
    production(chat, dialer)
    chat.ok(await chat.post('ig "a" media:http://cdn.example.com/hop/4'))  # 5 redirects
    e = chat.error(await chat.post('ig "a" media:http://cdn.example.com/hop/5'))  # 6
    assert "more than 5 redirects" in e.problems[0]


async def test_only_ports_80_and_443_unless_configured(chat: Chat) -> None:
    dialer = LoopbackDialer({PUBLIC_IP: chat.media.port})
    production(chat, dialer)
    url = "http://cdn.example.com:8080/m/photo.jpg"
    e = chat.error(await chat.post(f'ig "a" media:{url}'))
    assert "port 8080 is not allowed; I only fetch from ports 80 and 443" in e.problems[0]
    assert dialer.sent == []
    production(chat, dialer, ports=frozenset({80, 443, 8080}))
    chat.ok(await chat.post(f'ig "a" media:{url}'))
    assert [s.host_header for s in dialer.sent] == ["cdn.example.com:8080"]


async def test_unknown_names_and_bad_numbers(chat: Chat) -> None:
    production(chat)
    e = chat.error(await chat.post('ig "a" media:http://nowhere.example/a.jpg'))
    assert "I couldn't find the host “nowhere.example”" in e.problems[0]
    e = chat.error(await chat.post('ig "a" media:http://1.2.3.4.5/a.jpg'))
    assert "“1.2.3.4.5” is not a valid address" in e.problems[0]
    e = chat.error(await chat.post('ig "a" media:ftp://cdn.example.com/a.jpg'))
    assert "not a web address" in e.problems[0]
    assert chat.dialer.attempts == []  # type: ignore[attr-defined]


async def test_the_api_address_no_longer_decides(chat: Chat) -> None:
    """The sandbox API is on loopback, yet without the setting loopback media are refused."""
    production(chat)
    e = chat.error(await chat.post(f'ig "a" media:{chat.media_url("photo.jpg")}'))
    assert PRIVATE in e.problems[0]
    assert chat.media.hits == []


async def test_allow_private_lets_loopback_through(chat: Chat) -> None:
    chat.core.settings = replace(chat.core.settings, media=MediaRules(allow_private=True))
    e = chat.error(await chat.post(f'ig "a" media:{chat.media_url("photo.jpg")}'))
    assert f"port {chat.media.port} is not allowed" in e.problems[0]  # the port rule still holds
    chat.core.settings = replace(chat.core.settings, media=MediaRules.local())
    chat.ok(await chat.post(f'ig "a" media:{chat.media_url("photo.jpg")}'))


async def test_an_edit_checks_links_before_reading_the_post(chat: Chat) -> None:
    r = chat.ok(await chat.schedule('x "Later" tomorrow 9am'))
    pid = chat.post_id(r)
    production(chat)
    before = len(chat.sandbox.state.log)
    e = chat.error(await chat.social(f"edit {pid} media:http://0x7f000001/a.jpg"))
    assert PRIVATE in e.problems[0]
    assert [e.path for e in chat.sandbox.state.log[before:]] in ([], ["/v1/accounts"])


# ---------------------------------------------------------------- the pieces


@pytest.mark.parametrize(
    ("host", "expected"),
    [
        ("2130706433", "127.0.0.1"),
        ("0x7f000001", "127.0.0.1"),
        ("017700000001", "127.0.0.1"),
        ("127.1", "127.0.0.1"),
        ("10.1.258", "10.1.1.2"),
        ("0", "0.0.0.0"),
        ("93.184.216.34", "93.184.216.34"),
        ("example.com", None),
        ("0xcafe.example", None),
    ],
)
def test_numeric_hosts_read_as_the_c_library_reads_them(host: str, expected: str | None) -> None:
    got = numeric_v4(host)
    assert (str(got) if got is not None else None) == expected


@pytest.mark.parametrize("host", ["1.2.3.4.5", "256.1.1.1", "08.1.1.1", "4294967296"])
def test_numbers_that_are_no_address(host: str) -> None:
    with pytest.raises(ValueError):
        numeric_v4(host)


@pytest.mark.parametrize(
    ("address", "public"),
    [
        ("93.184.216.34", True),
        ("2606:2800:220:1:248:1893:25c8:1946", True),
        ("::ffff:93.184.216.34", True),
        ("64:ff9b::5db8:d822", True),  # NAT64 of a public address
        ("100.64.0.1", False),
        ("100.127.255.254", False),
        ("169.254.169.254", False),
        ("224.0.0.251", False),
        ("239.255.255.250", False),
        ("ff0e::1", False),
        ("fec0::1", False),
        ("64:ff9b:1::1", False),
        ("::127.0.0.1", False),
        ("198.18.0.1", False),
    ],
)
def test_what_counts_as_public(address: str, public: bool) -> None:
    assert is_public(ip_address(address)) is public


async def test_the_transport_pins_the_address_and_keeps_the_name_for_tls() -> None:
    seen: list[httpx.Request] = []

    def answer(r: httpx.Request) -> httpx.Response:
        seen.append(r)
        return httpx.Response(200)

    def dial() -> httpx.AsyncBaseTransport:
        return httpx.MockTransport(answer)

    net, _, _ = network(NAMES)
    guard = Guard(MediaRules(), net.resolve)
    async with httpx.AsyncClient(transport=GuardedTransport(guard, dial)) as http:
        await http.get("https://img.example.org/a.jpg")
        with pytest.raises(Refused) as refused:
            await http.get("https://db.internal.example/a.jpg")
    assert refused.value.reason is Reason.PRIVATE
    [req] = seen
    assert req.url.host == PUBLIC_IP_2 and req.headers["host"] == "img.example.org"
    assert req.extensions["sni_hostname"] == "img.example.org"


async def test_one_answer_per_name_per_command() -> None:
    """A name that answers public first and private second (DNS rebinding) is asked once."""
    answers = iter([[PUBLIC_IP], ["127.0.0.1"]])

    async def flip(host: str, port: int) -> list[str]:
        return next(answers)

    guard = Guard(MediaRules(), Network(resolve=flip).resolve)
    first = await guard.check(httpx.URL("http://flip.example/a"))
    again = await guard.check(httpx.URL("http://flip.example/b"))
    assert str(first) == str(again) == PUBLIC_IP


async def test_links_handed_on_never_name_an_inside_address(chat: Chat) -> None:
    """article:/link: are not fetched by the bot but passed to the API: no literal private
    address and no localhost there either (names are left to the API, which does the fetching)."""
    production(chat)
    e = chat.error(await chat.post('li "Read" article:http://169.254.169.254/latest'))
    assert e.problems[0].startswith("article:http://169.254.169.254/latest: that address is")
    e = chat.error(await chat.post('pin "a" media:photo.jpg link:https://localhost/admin'))
    assert "link:https://localhost/admin: that address is inside a private network" in e.problems[0]
    assert nothing_sent(chat)
