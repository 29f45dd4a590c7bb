"""/social help, accounts, analytics <post id> (the workspace's analytics and chart:
``handlers.pictures``)."""

from __future__ import annotations

from bot.api.models import Analytics
from bot.chat import Confirmation, Field, ListReply, Reply, Tone
from commands.apierrors import api_errors
from commands.context import Context
from commands.handlers.status import tracked
from commands.help import help_reply
from commands.render import status_word
from commands.targets import account_label, platform_label, short_name


async def help_(ctx: Context, topic: str | None) -> tuple[Reply, ...]:
    return (help_reply(topic),)


async def accounts(ctx: Context) -> tuple[Reply, ...]:
    accs = await ctx.accounts(fresh=True)
    items = [
        f"{short_name(a, accs)} — {account_label(a)}"
        + (f" ({a.display_name})" if a.display_name and a.display_name != a.handle else "")
        + (" · X Premium" if a.premium else "")
        for a in accs
    ]
    for name, names in ctx.config.aliases.items():
        items.append(f"{name} — alias for {', '.join(names)}")
    defaults = ", ".join(ctx.config.default_targets) or "none (name targets every time)"
    return (
        ListReply(
            title=f"Connected accounts ({len(accs)}) — workspace {ctx.workspace}",
            items=tuple(items) or ("No accounts are connected to this workspace.",),
            footer=f'Type the short name as a target, e.g. /post {short_name(accs[0], accs) if accs else "ig"} "…". '
            f"This channel's default targets: {defaults}.",
        ),
    )


PER_WORKSPACE = (
    "The Social API counts engagement (likes, comments, shares, impressions) per workspace, "
    "not per post: /social analytics shows this workspace's totals."
)


async def analytics(ctx: Context, post_id: str | None = None) -> tuple[Reply, ...]:
    if post_id:
        return (await _post_numbers(ctx, post_id.strip()),)
    client = ctx.client()
    with_errors = ctx.action("read the analytics", "analytics:read", "nothing was changed")
    with api_errors(with_errors):
        a = await client.analytics()
    return (summary(ctx, a),)


def summary(ctx: Context, a: Analytics) -> Confirmation:
    """The workspace's numbers in words (``/social analytics`` adds the chart, see
    ``handlers.pictures``)."""
    fields = [Field("Posts", f"{a.total_posts:,}")]
    if a.by_status:
        fields.append(
            Field("By status", " · ".join(f"{k} {v:,}" for k, v in sorted(a.by_status.items())))
        )
    if a.engagement:
        fields.append(
            Field("Engagement", " · ".join(f"{k} {v:,}" for k, v in a.engagement.items()))
        )
    return Confirmation(
        title=f"Analytics — workspace {ctx.workspace}",
        fields=tuple(fields),
        ephemeral=True,
        tone=Tone.INFO,
    )


async def _post_numbers(ctx: Context, pid: str) -> Reply:
    """What the API knows of one post: status, each target with its link, and where the
    engagement numbers are (per workspace only)."""
    await tracked(ctx, pid)  # a post of another workspace is "not found"
    client = ctx.client()
    with api_errors(ctx.action("read the post", "posts:read", "nothing was changed", pid)):
        post = await client.get_post(pid)
    accounts = {a.account_id: a for a in await ctx.accounts()}
    fields = [Field("Status", status_word(post.status))]
    for t in post.targets:
        acc = accounts.get(t.account_id)
        name = account_label(acc) if acc else platform_label(t.platform)
        value = status_word(t.status) + (f" · {t.permalink}" if t.permalink else "")
        fields.append(Field(name, value))
    return Confirmation(
        title=f"Analytics — {pid}",
        fields=tuple(fields),
        text=PER_WORKSPACE,
        ephemeral=True,
        tone=Tone.INFO,
    )
