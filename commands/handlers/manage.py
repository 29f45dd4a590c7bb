"""/social cancel, edit, approve, reject — on a post of this channel's workspace."""

from __future__ import annotations

from contextlib import AsyncExitStack

import sqlite_utils

from bot import approvals, tracking
from bot.api.models import Account, NewPost, Platform, Post, PostStatus, PostUpdate, ThreadSegment
from bot.approvals import store as approval_store
from bot.chat import Confirmation, Field, MediaPreview, Reply, Tone
from bot.platforms import RULES, max_text
from commands import media as media_mod
from commands.apierrors import api_errors
from commands.context import Context
from commands.errors import PostConflict, TimeError, UsageError, ValidationFailed
from commands.handlers.post import read_spec
from commands.handlers.status import tracked
from commands.publish import cover_offset, media_previews, platform_keys, post_type
from commands.render import preview, status_word
from commands.targets import account_label, platform_label, resolve
from commands.times import format_when, parse_when

EDIT_HINT = '/social edit pst_3kqz1a caption:"New text" when:"tomorrow 10am"'


def need_id(post_id: str | None, verb: str) -> str:
    if not post_id:
        raise UsageError(
            f"Which post should I {verb}?",
            problems=["Give the post id from the confirmation or /status."],
            hint=f"/social {verb} pst_3kqz1a",
            field="id",
        )
    return post_id.strip()


async def cancel(ctx: Context, post_id: str | None) -> tuple[Reply, ...]:
    pid = need_id(post_id, "cancel")
    row = await tracked(ctx, pid)
    client = ctx.client()
    with api_errors(ctx.action("cancel the post", "posts:write", "nothing was changed", pid)):
        result = await client.delete_post(pid)
    if row is not None:

        def mark(sdb: sqlite_utils.Database) -> None:
            tracking.set_status(sdb, pid, PostStatus.CANCELED.value)

        await ctx.core.db.run(mark)
    fields: list[Field] = []
    if result.removed_from:
        fields.append(
            Field("Removed from", ", ".join(platform_label(p) for p in result.removed_from))
        )
    lines = [
        f"Remove it by hand on {platform_label(m.platform)}: {m.reason}" for m in result.manual
    ]
    return (
        Confirmation(
            title=f"Canceled {pid}" if not result.manual else f"Canceled {pid} — some is left",
            fields=tuple(fields),
            text="\n".join(lines) or None,
            tone=Tone.WARNING if result.manual else Tone.SUCCESS,
        ),
    )


async def _approval_state(ctx: Context, post_id: str) -> str | None:
    await approvals.migrate(ctx.core.db)

    def read(sdb: sqlite_utils.Database) -> str | None:
        card = approval_store.card_by_post(sdb, post_id)
        return card.state if card is not None else None

    return await ctx.core.db.run(read)


async def edit(ctx: Context) -> tuple[Reply, ...]:
    spec = await read_spec(ctx, "edit")
    pid = need_id(spec.post_id, "edit")
    row = await tracked(ctx, pid)
    client = ctx.client()
    fetcher = ctx.media_fetcher()
    await fetcher.precheck(spec.media, spec.cover)  # a refused link: nothing asked of the API
    fetcher.check_link(spec.article, "article")
    fetcher.check_link(spec.link, "link")
    read = ctx.action("read the post", "posts:read", "nothing was changed", pid)
    with api_errors(read):
        post = await client.get_post(pid)
    status = str(post.status)
    approval = await _approval_state(ctx, pid)
    pending = approval in approval_store.OPEN_STATES
    if approval in approval_store.BUSY_STATES:
        raise PostConflict(
            problems=["Its approval is being decided right now — try again in a few seconds."]
        )

    captions = platform_keys(spec.captions, "captions")
    publish_now = (spec.when or "").strip().lower() in ("now", "right now", "immediately")
    when = None
    if spec.when and not publish_now:
        try:
            when = parse_when(spec.when, ctx.now(), ctx.tz)
        except TimeError as e:
            raise TimeError(e.title, problems=e.problems, hint=e.hint, field="when") from None
    pt = post_type(spec.post_type)
    offset = cover_offset(spec.cover_offset)
    caption_change = spec.caption is not None or bool(captions)
    other_change = bool(
        spec.media or spec.thread or spec.link or spec.article or spec.title or spec.document_title
        or pt or spec.cover or offset is not None or spec.targets or ctx.inv.attachments
    )  # fmt: skip
    if not (caption_change or other_change or when or publish_now):
        raise UsageError(
            "What should I change?",
            problems=["Give a new caption, time, media, link…"],
            hint=EDIT_HINT,
        )
    if status in (PostStatus.PUBLISHING, PostStatus.CANCELED, PostStatus.FAILED):
        raise PostConflict(
            f"Post {pid} is {status_word(status)}",
            problems=[
                "It is being published right now — try again in a few seconds."
                if status == PostStatus.PUBLISHING
                else f"A {status_word(status)} post can't be edited."
            ],
        )
    live = status in (PostStatus.PUBLISHED, PostStatus.PARTIAL)
    if live and (other_change or when or publish_now):
        raise PostConflict(
            f"Post {pid} is already published",
            problems=[
                "Only the caption of a published post can change, and only on Facebook and LinkedIn."
            ],
            hint=f'/social edit {pid} caption:"New text"',
        )
    if (
        (when or publish_now)
        and status == PostStatus.DRAFT
        and ctx.config.approval.required
        and not pending
    ):
        raise PostConflict(
            "This channel needs approval",
            problems=["Activating a draft here would skip approval."],
            hint="Schedule it with /schedule instead — approvers will see it.",
        )
    accounts = {a.account_id: a for a in await ctx.accounts()}
    post_accounts = [accounts[a] for a in post.account_ids if a in accounts]
    platforms = {a.platform for a in post_accounts} | {
        p for p in post.platforms if isinstance(p, Platform)
    }
    if live:
        editable = [p for p in platforms if isinstance(p, Platform) and RULES[p].edit_live]
        if not editable:
            raise PostConflict(
                f"Post {pid} can't be edited",
                problems=[
                    "It is published on "
                    + ", ".join(sorted(platform_label(p) for p in platforms))
                    + ", which don't allow editing a published post (only Facebook and LinkedIn do)."
                ],
            )
    if caption_change:
        found = caption_problems(post, post_accounts, spec.caption, captions)
        if found:
            raise ValidationFailed(problems=found, hint="Nothing was changed.")

    account_ids = None
    if spec.targets:
        all_accounts = list(accounts.values())
        account_ids = tuple(
            a.account_id for a in resolve(spec.targets, all_accounts, ctx.config.aliases, ())
        )
    media_ids: tuple[str, ...] | None = None
    cover_id: str | None = None
    shown_media: tuple[MediaPreview, ...] | None = None
    if spec.media or ctx.inv.attachments or spec.cover:
        async with AsyncExitStack() as stack:
            with api_errors(
                ctx.action("upload the media", "media:write", "nothing was changed", pid)
            ):
                sources, cover = await media_mod.open_media(
                    spec.media, ctx.inv.attachments, spec.cover, stack=stack,
                    fetcher=fetcher, client=client,
                )  # fmt: skip
                if sources:
                    media_ids = tuple(await media_mod.upload(client, sources))
                    shown_media = media_previews(sources, cover)
                if cover is not None:
                    cover_id = (await media_mod.upload(client, [cover]))[0]

    send_time = not pending  # a pending approval keeps its time on the card (no activation)
    update = PostUpdate(
        content=spec.caption,
        post_type=pt,
        media_ids=media_ids,
        account_ids=account_ids,
        scheduled_at=when if send_time else None,
        publish_now=publish_now and send_time,
        platform_content=captions or None,
        thread=tuple(ThreadSegment(s) for s in spec.thread) if spec.thread else None,
        link=spec.link,
        cover_media_id=cover_id,
        document_title=spec.document_title or (spec.title if not spec.article else None),
    )
    with api_errors(ctx.action("edit the post", "posts:write", "nothing was changed", pid)):
        updated = await client.update_post(pid, update)

    notes: list[str] = []
    if pending:
        intended = None
        if when or publish_now:
            intended = NewPost(
                account_ids=post.account_ids, scheduled_at=when, publish_now=publish_now
            )
        note = await approvals.on_edit(
            ctx.core, pid, ctx.inv.user, post=intended,
            when=(format_when(when, ctx.tz) if when else "now" if publish_now else None),
            summary=preview(spec.caption, 200) if spec.caption is not None else None,
            change=approvals.PreviewChange(
                caption=spec.caption, captions={str(p): t for p, t in captions.items()} or None,
                media=shown_media,
            ),
        )  # fmt: skip
        if note:
            notes.append(note)
    if updated.unsupported:
        notes.append(
            "Not edited on "
            + ", ".join(platform_label(p) for p in updated.unsupported)
            + ": they don't allow editing a published post."
        )
    new_status = str(updated.post.status) or status
    if row is not None and (when or publish_now) and send_time:

        def mark(sdb: sqlite_utils.Database) -> None:
            tracking.set_status(sdb, pid, new_status, scheduled_at=when, last_due_at=when)

        await ctx.core.db.run(mark)

    fields = [Field("Post", pid), Field("Status", status_word(new_status))]
    if spec.caption is not None:
        fields.append(Field("Caption", preview(spec.caption, 120)))
    if when is not None:
        fields.append(Field("When", format_when(when, ctx.tz)))
    if updated.activated:
        notes.append("The draft is now active.")
    return (
        Confirmation(
            title=f"Updated {pid}" if not updated.unsupported else f"Updated {pid} — partly",
            fields=tuple(fields),
            text="\n".join(notes) or None,
            tone=Tone.WARNING if updated.unsupported else Tone.SUCCESS,
        ),
    )


def caption_problems(
    post: Post, accounts: list[Account], caption: str | None, captions: dict[Platform, str]
) -> list[str]:
    """Text limits of the new caption(s) on the post's targets."""
    out: list[str] = []
    for a in accounts:
        if not isinstance(a.platform, Platform):
            continue
        text = captions.get(a.platform, caption if caption is not None else post.content or "")
        limit = max_text(a.platform, a.premium)
        if len(text) > limit:
            out.append(
                f"{account_label(a)}: the caption is {len(text):,} characters; "
                f"the limit is {limit:,}."
            )
    for p in captions:
        if p not in {a.platform for a in accounts}:
            out.append(
                f"There is a {platform_label(p)} caption but the post has no {platform_label(p)} target."
            )
    return out


async def decide(
    ctx: Context, verb: str, post_id: str | None, reason: str | None
) -> tuple[Reply, ...]:
    pid = need_id(post_id, verb)
    await tracked(ctx, pid)
    if verb == "approve":
        outcome = await approvals.approve(ctx.core, pid, ctx.inv.user)
    else:
        outcome = await approvals.reject(ctx.core, pid, ctx.inv.user, reason)
    return outcome.replies
