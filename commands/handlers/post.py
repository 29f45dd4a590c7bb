"""/post — publish now (or, given a time, schedule)."""

from __future__ import annotations

from bot.chat import Reply
from commands.context import Context
from commands.errors import UsageError
from commands.parser import apply_options, parse
from commands.publish import publish
from commands.spec import PostSpec
from commands.targets import is_target_word


async def read_spec(ctx: Context, command: str) -> PostSpec:
    """The invocation's text and structured options → ``PostSpec``."""
    accounts = await ctx.accounts()
    aliases = ctx.config.aliases

    def is_target(word: str) -> bool:
        return is_target_word(word, accounts, aliases)

    spec = parse(ctx.text, command, is_target)
    return apply_options(spec, ctx.inv.options)


async def post(ctx: Context) -> tuple[Reply, ...]:
    if not ctx.text and not ctx.inv.options and not ctx.inv.attachments:
        raise UsageError(
            "What should I post?",
            problems=["/post needs a caption, media or a thread."],
            hint='/post ig,x "We shipped 🚀" — `/post help` shows every form.',
        )
    spec = await read_spec(ctx, "post")
    return await publish(ctx, spec, schedule=False)
