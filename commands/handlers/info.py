"""/social help, accounts. (/social analytics is in ``handlers.pictures``: text + chart.)"""

from __future__ import annotations

from bot.chat import ListReply, Reply
from commands.context import Context
from commands.help import help_reply
from commands.targets import account_label, short_name


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
