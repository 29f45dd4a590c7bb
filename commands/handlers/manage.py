"""/social cancel, edit, approve, reject — on a post of this channel's workspace."""

from __future__ import annotations

from contextlib import AsyncExitStack
from datetime import datetime

import sqlite_utils

from bot import approvals, groups, tracking
from bot.api.models import (
    Account,
    NewPost,
    Platform,
    Post,
    PostStatus,
    PostUpdate,
    ThreadSegment,
    parse_time,
)
from bot.approvals import store as approval_store
from bot.chat import CommandButton, Confirmation, Field, MediaPreview, Reply, Tone
from bot.config import ApprovalPolicy
from bot.platforms import RULES, max_text, platform_by_name
from bot.textcount import count, describe
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


CONFIRM_WORDS = ("confirm", "yes", "--confirm", "confirm:yes")


async def cancel(ctx: Context, post_id: str | None, rest: str = "") -> tuple[Reply, ...]:
    """Cancel a scheduled post or draft at once; deleting a live post asks first."""
    pid = need_id(post_id, "cancel")
    confirmed = rest.strip().lower() in CONFIRM_WORDS
    row = await tracked(ctx, pid)
    members = await ctx.core.db.run(lambda sdb: groups.members(sdb, pid))
    if members:  # a request made of several posts (a thread on X, the caption elsewhere)
        return await _cancel_group(ctx, [m.post_id for m in members], confirmed)
    card = await _approval_card(ctx, pid)
    if card is not None and card.state in approval_store.BUSY_STATES:
        raise PostConflict(
            problems=["Its approval is being decided right now — try again in a few seconds."]
        )
    client = ctx.client()
    if not confirmed:
        with api_errors(ctx.action("read the post", "posts:read", "nothing was changed", pid)):
            post = await client.get_post(pid)
        if post.status in (PostStatus.PUBLISHED, PostStatus.PARTIAL):
            return (await _confirm_delete(ctx, post),)
    with api_errors(ctx.action("cancel the post", "posts:write", "nothing was changed", pid)):
        result = await client.delete_post(pid)
    if row is not None:

        def mark(sdb: sqlite_utils.Database) -> None:
            tracking.set_status(sdb, pid, PostStatus.CANCELED.value)

        await ctx.core.db.run(mark)
    lost = await approvals.cancel(ctx.core, pid, ctx.inv.user) if card is not None else None
    fields: list[Field] = []
    if result.removed_from:
        fields.append(
            Field("Removed from", ", ".join(platform_label(p) for p in result.removed_from))
        )
    lines = [
        f"Remove it by hand on {platform_label(m.platform)}: {m.reason}" for m in result.manual
    ]
    if card is not None and card.state in approval_store.OPEN_STATES and lost is None:
        lines.append("Its approval request is closed: the card says so, and ✅ no longer count.")
    if lost is not None:
        lines.append(lost)
    return (
        Confirmation(
            title=f"Canceled {pid}" if not result.manual else f"Canceled {pid} — some is left",
            fields=tuple(fields),
            text="\n".join(lines) or None,
            tone=Tone.WARNING if result.manual else Tone.SUCCESS,
        ),
    )


async def _cancel_group(ctx: Context, post_ids: list[str], confirmed: bool) -> tuple[Reply, ...]:
    """Cancel every post of one request (``bot.groups``); requests like these skip approval.
    Like a single post, a request that is live is deleted only once confirmed."""
    client = ctx.client()
    if not confirmed:
        for pid in post_ids:
            with api_errors(ctx.action("read the post", "posts:read", "nothing was changed", pid)):
                post = await client.get_post(pid)
            if post.status in (PostStatus.PUBLISHED, PostStatus.PARTIAL):
                return (await _confirm_delete(ctx, post),)
    removed: list[str] = []
    lines: list[str] = []
    for pid in post_ids:
        with api_errors(ctx.action("cancel the post", "posts:write", "nothing more was changed",
                                   pid)):  # fmt: skip
            result = await client.delete_post(pid)

        def mark(sdb: sqlite_utils.Database, pid: str = pid) -> None:
            tracking.set_status(sdb, pid, PostStatus.CANCELED.value)

        await ctx.core.db.run(mark)
        removed += [platform_label(p) for p in result.removed_from]
        lines += [f"Remove it by hand on {platform_label(m.platform)}: {m.reason}"
                  for m in result.manual]  # fmt: skip
    fields: tuple[Field, ...] = (Field("Posts", " · ".join(post_ids)),)
    if removed:
        fields += (Field("Removed from", ", ".join(dict.fromkeys(removed))),)
    return (
        Confirmation(
            title=f"Canceled {post_ids[0]} ({len(post_ids)} posts)"
            + (" — some is left" if lines else ""),
            fields=fields,
            text="\n".join(lines) or None,
            tone=Tone.WARNING if lines else Tone.SUCCESS,
        ),
    )


async def _confirm_delete(ctx: Context, post: Post) -> Confirmation:
    """What deleting a live post would remove where, and the Confirm button."""
    pid = post.post_id
    accounts = {a.account_id: a for a in await ctx.accounts()}
    lines: list[str] = []
    for t in post.targets:
        if str(t.status) != PostStatus.PUBLISHED:
            continue
        acc = accounts.get(t.account_id)
        where = account_label(acc) if acc else platform_label(t.platform)
        link = f" ({t.permalink})" if t.permalink else ""
        personal = acc is not None and acc.platform == Platform.LINKEDIN and acc.kind != "company"
        deletable = isinstance(t.platform, Platform) and RULES[t.platform].delete_api
        if deletable and not personal:
            lines.append(f"• {where}: deleted{link}")
        else:
            lines.append(f"• {where}: stays up — remove it by hand there{link}")
    lines.append(f"Nothing is deleted until you confirm (or type /social cancel {pid} confirm).")
    return Confirmation(
        title=f"Delete {pid}? It is live",
        text="\n".join(lines),
        ephemeral=True,
        tone=Tone.WARNING,
        actions=(CommandButton("Confirm delete", "social", f"cancel {pid} confirm", "danger"),),
    )


async def _approval_card(ctx: Context, post_id: str) -> approval_store.CardRow | None:
    await approvals.migrate(ctx.core.db)
    return await ctx.core.db.run(lambda sdb: approval_store.card_by_post(sdb, post_id))


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
    card = await _approval_card(ctx, pid)
    pending = card is not None and card.state in approval_store.OPEN_STATES
    if card is not None and card.state in approval_store.BUSY_STATES:
        raise PostConflict(
            problems=["Its approval is being decided right now — try again in a few seconds."]
        )
    # Approved but not out yet, in a channel that needs approval: the edit goes back to approval.
    again: ApprovalPolicy | None = None
    if (
        card is not None
        and card.state == approval_store.APPROVED
        and status == PostStatus.SCHEDULED
    ):
        policy = ctx.core.settings.channel_config(
            card.origin_platform, card.origin_team, card.origin_channel
        ).approval
        again = policy if policy.required else None
    hold = pending or again is not None  # the time is kept on the card, not sent to the API

    captions = platform_keys(spec.captions, "captions")
    publish_now = (spec.when or "").strip().lower() in ("now", "right now", "immediately")
    when = _time(spec.when, ctx, "when") if spec.when and not publish_now else None
    times = {p: _time(t, ctx, "times") for p, t in platform_keys(spec.times, "times").items()}
    pt = post_type(spec.post_type)
    offset = cover_offset(spec.cover_offset)
    caption_change = spec.caption is not None or bool(captions)
    other_change = bool(
        spec.media or spec.thread or spec.link or spec.article or spec.title or spec.document_title
        or pt or spec.cover or offset is not None or spec.targets or ctx.inv.attachments
    )  # fmt: skip
    retimed = bool(when or publish_now or times)
    if not (caption_change or other_change or retimed):
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
    if live and (other_change or retimed):
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
    for p in times:
        if p not in platforms:
            raise ValidationFailed(
                problems=[
                    f"There is a {platform_label(p)} time but the post has no "
                    f"{platform_label(p)} target."
                ],
                hint="Nothing was changed.",
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

    schedules = {**_schedules_of(post), **times}
    update = PostUpdate(
        content=spec.caption,
        post_type=pt,
        media_ids=media_ids,
        account_ids=account_ids,
        scheduled_at=when if not hold else None,
        publish_now=publish_now and not hold,
        platform_schedules=schedules if times and not hold else None,
        draft=again is not None,  # unscheduled until approved again
        platform_content=captions or None,
        thread=tuple(ThreadSegment(s) for s in spec.thread) if spec.thread else None,
        link=spec.link,
        cover_media_id=cover_id,
        document_title=spec.document_title or (spec.title if not spec.article else None),
    )
    with api_errors(ctx.action("edit the post", "posts:write", "nothing was changed", pid)):
        updated = await client.update_post(pid, update)

    notes: list[str] = []
    if card is not None and hold:
        intended = NewPost(
            account_ids=post.account_ids,
            scheduled_at=when if when else None if publish_now else card.intended.scheduled_at,
            publish_now=publish_now or (card.intended.publish_now and not when),
            platform_schedules={
                **{Platform(k): t for k, t in card.intended.platform_schedules.items()},
                **times,
            },
        )
        when_text = format_when(when, ctx.tz) if when else "now" if publish_now else None
        summary = preview(spec.caption, 200) if spec.caption is not None else None
        shown = approvals.PreviewChange(
            caption=spec.caption,
            captions={str(p): t for p, t in captions.items()} or None,
            media=shown_media,
        )
        if again is not None:
            _, note = await approvals.resubmit(
                ctx.core, pid, ctx.inv.user, again, post=intended, when=when_text,
                summary=summary, shown=shown,
            )  # fmt: skip
            notes.append(note)
        else:
            edited = await approvals.on_edit(
                ctx.core, pid, ctx.inv.user, post=intended if retimed else None,
                when=when_text, summary=summary, shown=shown,
            )  # fmt: skip
            notes.append(
                edited
                or "Its approval was decided while you edited it — check /status "
                + pid
                + " before it goes out."
            )
    if updated.unsupported:
        notes.append(
            "Not edited on "
            + ", ".join(platform_label(p) for p in updated.unsupported)
            + ": they don't allow editing a published post."
        )
    new_status = str(updated.post.status) or status
    if row is not None and retimed and not hold:
        due = [ctx.now() if publish_now else when or post.scheduled_at, *schedules.values()]
        known = [t for t in due if t is not None]
        first, last = (min(known), max(known)) if known else (None, None)

        def mark(sdb: sqlite_utils.Database) -> None:
            tracking.set_status(sdb, pid, new_status, scheduled_at=first, last_due_at=last)

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


def _time(text: str, ctx: Context, field: str) -> datetime:
    try:
        return parse_when(text, ctx.now(), ctx.tz)
    except TimeError as e:
        raise TimeError(e.title, problems=e.problems, hint=e.hint, field=field) from None


def _schedules_of(post: Post) -> dict[Platform, datetime]:
    """The post's per-platform times, as the API reports them."""
    raw = post.extra.get("platformSchedules") or {}
    out: dict[Platform, datetime] = {}
    for name, at in raw.items() if isinstance(raw, dict) else ():
        p, t = platform_by_name(str(name)), parse_time(at)
        if p is not None and t is not None:
            out[p] = t
    return out


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
        size = count(a.platform, text)
        if size > limit:
            out.append(
                f"{account_label(a)}: the caption is {describe(a.platform, size)} "
                f"(limit {limit:,})."
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


async def changes(ctx: Context, post_id: str | None, reason: str | None) -> tuple[Reply, ...]:
    """``/social changes <post id> <what to change>``: send a pending post back with a reason."""
    if not post_id:
        raise UsageError(
            "Which post needs changes?",
            problems=["Give the post id from the approval card, then what should change."],
            hint="/social changes pst_3kqz1a Please shorten the first line",
            field="id",
        )
    pid = post_id.strip()
    await tracked(ctx, pid)
    outcome = await approvals.request_changes(ctx.core, pid, ctx.inv.user, reason)
    return outcome.replies
