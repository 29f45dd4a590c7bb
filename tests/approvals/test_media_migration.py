"""Approvals migration v2: a Discord attachment's signed CDN URL kept in clear by an older card
(``preview`` → content → media → ``platform_url``) is dropped; sealed values, public links and
Slack file ids are kept."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from pathlib import Path

import sqlite_utils

from bot.approvals import store
from bot.storage import Database

SIGNED = "https://cdn.discordapp.com/attachments/1/2/photo.jpg?ex=6b0e8b42&is=6b0d39c2&hm=56e3f&"


def _preview(media: Sequence[Mapping[str, object]]) -> str:
    return json.dumps(
        {
            "title": "t",
            "previews": [],
            "targets": [],
            "when": "now",
            "summary": "s",
            "content": {"caption": "c", "parts": [], "thread": [], "media": media},
        }
    )


async def test_clear_attachment_urls_are_dropped_sealed_ones_kept(tmp_path: Path) -> None:
    db = await Database.open(str(tmp_path / "bot.db"))
    try:
        await db.migrate(store.NAMESPACE, store.MIGRATIONS[:1])  # as an older version left it
        old = [
            {"name": "photo.jpg", "kind": "image", "platform_url": SIGNED},
            {"name": "two.png", "kind": "image", "url": "https://example.com/two.png"},
            {"name": "f.png", "kind": "image", "slack_file": "F1"},
        ]
        sealed = [{"name": "photo.jpg", "kind": "image", "platform_url": "c2VhbGVkLXZhbHVl"}]

        def insert(sdb: sqlite_utils.Database) -> None:
            for post_id, media in (("p1", old), ("p2", sealed)):
                sdb.execute(
                    "INSERT INTO approval_cards (post_id, workspace, state, origin_platform, "
                    "origin_channel, requester_id, approvers, quorum, allow_self, card_platform, "
                    "card_channel, intended, preview, created_at, updated_at) "
                    "VALUES (?, 'w', 'pending', 'discord', 'c', 'u', '[]', 1, 0, 'discord', 'c', "
                    "'{}', ?, 't', 't')",
                    [post_id, _preview(media)],
                )

        await db.run(insert)
        assert await db.migrate(store.NAMESPACE, store.MIGRATIONS) == len(store.MIGRATIONS)

        rows = await db.run(
            lambda sdb: {
                r["post_id"]: json.loads(r["preview"])["content"]["media"]
                for r in sdb.query("SELECT post_id, preview FROM approval_cards")
            }
        )
        assert rows["p1"] == [
            {"name": "photo.jpg", "kind": "image", "platform_url": None},
            old[1],
            old[2],
        ]
        assert rows["p2"] == sealed
    finally:
        await db.close()


async def test_no_copy_of_a_dropped_url_is_left_in_the_database_files(tmp_path: Path) -> None:
    """The rows are rewritten in place; what they held before must not stay behind in the
    page's free space or the WAL (SQLite rewrites the cells, and checkpoints and removes the
    WAL when the last connection closes)."""
    path = tmp_path / "bot.db"
    db = await Database.open(str(path))
    await db.migrate(store.NAMESPACE, store.MIGRATIONS[:1])  # as an older version left it

    def insert(sdb: sqlite_utils.Database) -> None:
        for i in range(6):  # several cards share a page, the others keep theirs around it
            media = [{"name": "photo.jpg", "kind": "image", "platform_url": SIGNED + str(i)}]
            sdb.execute(
                "INSERT INTO approval_cards (post_id, workspace, state, origin_platform, "
                "origin_channel, requester_id, approvers, quorum, allow_self, card_platform, "
                "card_channel, intended, preview, created_at, updated_at) "
                "VALUES (?, 'w', 'pending', 'discord', 'c', 'u', '[]', 1, 0, 'discord', 'c', "
                "'{}', ?, 't', 't')",
                [f"p{i}", _preview(media)],
            )

    await db.run(insert)
    await db.close()  # the old version stops: its rows are in the main file
    signature = b"hm=56e3f"
    assert signature in _files(tmp_path)["bot.db"]
    db = await Database.open(str(path))  # the new version starts and migrates
    await db.migrate(store.NAMESPACE, store.MIGRATIONS)
    await db.close()
    for name, data in _files(tmp_path).items():
        assert signature not in data, name


def _files(folder: Path) -> dict[str, bytes]:
    """The database file and its WAL / shared-memory files, as stored on disk."""
    return {f.name: f.read_bytes() for f in folder.glob("bot.db*")}
