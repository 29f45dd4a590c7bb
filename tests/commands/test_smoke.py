from __future__ import annotations

from tests.commands.conftest import Chat


async def test_help_accounts_post(chat: Chat) -> None:
    h = chat.listing(await chat.social("help"))
    assert any("/social accounts" in i for i in h.items)
    a = chat.listing(await chat.social("accounts"))
    assert any("@acme" in i for i in a.items), a
    r = await chat.post('ig,x "We shipped" media:' + chat.media_url("photo.jpg"))
    print(chat.text(r))
    r2 = await chat.post('x "Hello world"')
    print(chat.text(r2))
    c = chat.ok(r2)
    assert c.title.startswith("Publishing now")
