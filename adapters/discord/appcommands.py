"""The app commands: /post, /schedule, /status,
/social <help|accounts|queue|cancel|edit|changes|analytics|calendar>.

Each callback only collects its typed options under the canonical names of
``commands/options.py`` (targets, caption, captions, type, when, times, draft, split, media,
thread, link, article, title, description, privacy, cover, cover_offset, id, reason, what) and hands them to
``CommandRunner.run_command``; the command layer validates everything, including autocompleted
values (autocomplete is only a suggestion). Discord options are single-line: per-platform
captions/times typed as "x: short | linkedin: long" and threads as "one --- two" are turned
into the line formats of ``commands/options.py``.
"""

from __future__ import annotations

import re
from typing import Any, Protocol

import discord
from discord import app_commands

from bot.api.models import PostType

Options = tuple[tuple[str, str], ...]

MEDIA_OPTIONS = ("media", "media2", "media3", "media4")
TYPE_CHOICES = [app_commands.Choice(name=t.value, value=t.value) for t in PostType]
PRIVACY_CHOICES = [app_commands.Choice(name=p, value=p) for p in ("public", "unlisted", "private")]


class CommandRunner(Protocol):
    async def run_command(
        self,
        interaction: discord.Interaction[Any],
        command: str,
        options: Options,
        attachments: tuple[discord.Attachment, ...],
        *,
        ephemeral: bool,
    ) -> None: ...

    async def complete_targets(
        self, interaction: discord.Interaction[Any], current: str
    ) -> list[app_commands.Choice[str]]: ...

    async def complete_when(
        self, interaction: discord.Interaction[Any], current: str
    ) -> list[app_commands.Choice[str]]: ...


def collect(**values: object) -> Options:
    """Non-empty values as (canonical name, text) pairs, in a stable order."""
    out: list[tuple[str, str]] = []
    for name, value in values.items():
        if value is None:
            continue
        if isinstance(value, app_commands.Choice):
            value = value.value
        if isinstance(value, bool):
            out.append((name, "true" if value else "false"))
            continue
        text = str(value).strip()
        if text:
            out.append((name, text))
    return tuple(out)


_LINE_BREAK = re.compile(r"\s*\|\s*(?=[^\s|:]+\s*:)")
_THREAD_BREAK = re.compile(r"\s+---\s+")


def as_lines(value: str | None) -> str | None:
    """Discord options are one line: "x: short | linkedin: long" → one "platform: text" a line."""
    return _LINE_BREAK.sub("\n", value) if value else value


def as_segments(value: str | None) -> str | None:
    """Thread segments typed inline, "first --- second", → separated by lines of ---."""
    return _THREAD_BREAK.sub("\n---\n", value) if value else value


def media(*atts: discord.Attachment | None) -> tuple[discord.Attachment, ...]:
    return tuple(a for a in atts if a is not None)


_POST_DESCRIBE: dict[str, str] = {
    "targets": "Accounts or platforms, comma-separated (e.g. instagram, x)",
    "caption": "The text of the post",
    "media1": "An image, video or PDF",
    "media2": "A second image or video (carousels)",
    "media3": "A third image or video",
    "media4": "A fourth image or video",
    "post_type": "Post type (default: guessed from the media)",
    "captions": "Per-platform captions, e.g. 'x: short text | linkedin: longer text'",
    "link": "Destination link (Pinterest)",
    "title": "Title (YouTube, LinkedIn document, article)",
    "privacy": "YouTube privacy",
    "draft": "Save as a draft instead of publishing",
    "split": "Too long for X / Threads? Post it there as a numbered thread",
    "thread": "A thread (X, Threads): segments separated by ---",
    "article": "Article URL to share (LinkedIn, Facebook)",
    "description": "Article description",
    "cover": "Reel cover: a URL or the name of an attachment",
    "cover_offset": "Reel cover frame offset (milliseconds)",
    "media_urls": "Media by URL, separated by spaces",
}
_RENAME: dict[str, str] = {
    "post_type": "type",
    "media1": "media",
}


def install(tree: app_commands.CommandTree[Any], runner: CommandRunner) -> None:
    """Add every command to ``tree`` (callbacks close over ``runner``)."""

    async def targets_ac(
        interaction: discord.Interaction[Any], current: str
    ) -> list[app_commands.Choice[str]]:
        return await runner.complete_targets(interaction, current)

    async def when_ac(
        interaction: discord.Interaction[Any], current: str
    ) -> list[app_commands.Choice[str]]:
        return await runner.complete_when(interaction, current)

    @app_commands.command(name="post", description="Publish to your social accounts now")
    @app_commands.describe(**_POST_DESCRIBE)
    @app_commands.rename(**_RENAME)
    @app_commands.choices(post_type=TYPE_CHOICES, privacy=PRIVACY_CHOICES)
    @app_commands.autocomplete(targets=targets_ac)
    @app_commands.guild_only()
    async def post(
        interaction: discord.Interaction[Any],
        targets: str | None = None,
        caption: str | None = None,
        media1: discord.Attachment | None = None,
        media2: discord.Attachment | None = None,
        media3: discord.Attachment | None = None,
        media4: discord.Attachment | None = None,
        post_type: app_commands.Choice[str] | None = None,
        captions: str | None = None,
        link: str | None = None,
        title: str | None = None,
        privacy: app_commands.Choice[str] | None = None,
        draft: bool | None = None,
        split: bool | None = None,
        thread: str | None = None,
        article: str | None = None,
        description: str | None = None,
        cover: str | None = None,
        cover_offset: app_commands.Range[int, 0] | None = None,
        media_urls: str | None = None,
    ) -> None:
        opts = collect(
            targets=targets,
            caption=caption,
            type=post_type,
            captions=as_lines(captions),
            link=link,
            title=title,
            privacy=privacy,
            draft=draft,
            split=split,
            thread=as_segments(thread),
            article=article,
            description=description,
            cover=cover,
            cover_offset=cover_offset,
            media=media_urls,
        )
        await runner.run_command(
            interaction, "post", opts, media(media1, media2, media3, media4), ephemeral=False
        )

    @app_commands.command(name="schedule", description="Schedule a post for later")
    @app_commands.describe(
        when="When to publish, e.g. 'tomorrow 9am', '2026-07-01 18:00', or 'next' (free slot)",
        times="Per-platform times, e.g. 'instagram: 9am | x: 10am'",
        **_POST_DESCRIBE,
    )
    @app_commands.rename(**_RENAME)
    @app_commands.choices(post_type=TYPE_CHOICES, privacy=PRIVACY_CHOICES)
    @app_commands.autocomplete(targets=targets_ac, when=when_ac)
    @app_commands.guild_only()
    async def schedule(
        interaction: discord.Interaction[Any],
        when: str,
        targets: str | None = None,
        caption: str | None = None,
        media1: discord.Attachment | None = None,
        media2: discord.Attachment | None = None,
        media3: discord.Attachment | None = None,
        media4: discord.Attachment | None = None,
        post_type: app_commands.Choice[str] | None = None,
        captions: str | None = None,
        times: str | None = None,
        link: str | None = None,
        title: str | None = None,
        privacy: app_commands.Choice[str] | None = None,
        draft: bool | None = None,
        split: bool | None = None,
        thread: str | None = None,
        article: str | None = None,
        description: str | None = None,
        cover: str | None = None,
        cover_offset: app_commands.Range[int, 0] | None = None,
        media_urls: str | None = None,
    ) -> None:
        opts = collect(
            when=when,
            targets=targets,
            caption=caption,
            type=post_type,
            captions=as_lines(captions),
            times=as_lines(times),
            link=link,
            title=title,
            privacy=privacy,
            draft=draft,
            split=split,
            thread=as_segments(thread),
            article=article,
            description=description,
            cover=cover,
            cover_offset=cover_offset,
            media=media_urls,
        )
        await runner.run_command(
            interaction, "schedule", opts, media(media1, media2, media3, media4), ephemeral=False
        )

    @app_commands.command(name="status", description="Status of a post (or the latest ones)")
    @app_commands.describe(id="The post id (leave empty for the latest posts here)")
    @app_commands.guild_only()
    async def status(interaction: discord.Interaction[Any], id: str | None = None) -> None:
        await runner.run_command(interaction, "status", collect(id=id), (), ephemeral=False)

    social = app_commands.Group(
        name="social",
        description="Accounts, queue, cancel, edit, analytics, calendar, help",
        guild_only=True,
    )

    @social.command(name="help", description="What the bot can do")
    async def help_(interaction: discord.Interaction[Any]) -> None:
        await runner.run_command(interaction, "social", collect(what="help"), (), ephemeral=True)

    @social.command(name="accounts", description="The connected social accounts")
    async def accounts(interaction: discord.Interaction[Any]) -> None:
        await runner.run_command(
            interaction, "social", collect(what="accounts"), (), ephemeral=True
        )

    @social.command(name="queue", description="Scheduled posts")
    async def queue(interaction: discord.Interaction[Any]) -> None:
        await runner.run_command(interaction, "social", collect(what="queue"), (), ephemeral=True)

    @social.command(name="cancel", description="Cancel a scheduled post (a live one asks first)")
    @app_commands.describe(id="The post id")
    async def cancel(interaction: discord.Interaction[Any], id: str) -> None:
        await runner.run_command(
            interaction, "social", collect(what="cancel", id=id), (), ephemeral=False
        )

    @social.command(name="edit", description="Change a scheduled post")
    @app_commands.describe(
        id="The post id",
        caption="The new caption",
        captions="New per-platform captions",
        when="The new time",
        targets="The new targets",
    )
    @app_commands.autocomplete(targets=targets_ac, when=when_ac)
    async def edit(
        interaction: discord.Interaction[Any],
        id: str,
        caption: str | None = None,
        captions: str | None = None,
        when: str | None = None,
        targets: str | None = None,
    ) -> None:
        opts = collect(
            what="edit",
            id=id,
            caption=caption,
            captions=as_lines(captions),
            when=when,
            targets=targets,
        )
        await runner.run_command(interaction, "social", opts, (), ephemeral=False)

    @social.command(name="changes", description="Send a post waiting for approval back")
    @app_commands.describe(id="The post id (on the approval card)", reason="What should change")
    async def changes(interaction: discord.Interaction[Any], id: str, reason: str) -> None:
        opts = collect(what="changes", id=id, reason=reason)
        await runner.run_command(interaction, "social", opts, (), ephemeral=True)

    @social.command(name="analytics", description="Post counts and engagement, with a chart")
    @app_commands.describe(period="How many days the chart covers")
    @app_commands.choices(
        period=[app_commands.Choice(name=p, value=p) for p in ("7d", "30d", "90d")]
    )
    async def analytics(interaction: discord.Interaction[Any], period: str | None = None) -> None:
        await runner.run_command(
            interaction, "social", collect(what="analytics", period=period), (), ephemeral=True
        )

    @social.command(name="calendar", description="The posts of a week or month, as a picture")
    @app_commands.describe(
        period="week or month, then next, last or a date: “month next”, “week 2026-07-14”"
    )
    async def calendar(interaction: discord.Interaction[Any], period: str | None = None) -> None:
        await runner.run_command(
            interaction, "social", collect(what="calendar", period=period), (), ephemeral=False
        )

    commands: list[app_commands.Command[Any, ..., Any] | app_commands.Group] = [
        post,
        schedule,
        status,
        social,
    ]
    for cmd in commands:
        tree.add_command(cmd)
