"""/schedule — publish later, at a time read in the user's zone."""

from __future__ import annotations

from bot.chat import Reply
from commands.context import Context
from commands.errors import TimeError, UsageError
from commands.handlers.post import read_spec
from commands.publish import publish
from commands.times import HINT, parse_when


async def schedule(ctx: Context) -> tuple[Reply, ...]:
    if not ctx.text and not ctx.inv.options and not ctx.inv.attachments:
        raise UsageError(
            "What should I schedule, and when?",
            problems=["/schedule needs a caption (or media) and a time."],
            hint='/schedule ig,x "We shipped 🚀" tomorrow 9am — ' + HINT,
        )
    spec = await read_spec(ctx, "schedule")
    if spec.when is not None and spec.caption is not None:
        # '/schedule "tomorrow 9am" ig "caption"': the quoted time came first
        try:
            parse_when(spec.when, ctx.now(), ctx.tz)
        except TimeError:
            try:
                parse_when(spec.caption, ctx.now(), ctx.tz)
            except TimeError:
                pass
            else:
                spec.when, spec.caption = spec.caption, spec.when
    return await publish(ctx, spec, schedule=True)
