"""Gateway events the fake Discord injects, as Discord would send them: slash commands,
autocomplete, button presses, reactions (``FakeDiscord`` mixes this in)."""

from __future__ import annotations

import time
from typing import Any

from tests.discord.fake_data import (
    ALICE_ID,
    ALL_PERMISSIONS,
    APP_ID,
    BOB_ID,
    BOT_ID,
    BOT_USER,
    CHANNEL_ID,
    Msg,
    guild_of,
    member,
    snowflake,
)


class EventsMixin:
    messages: dict[str, Msg]
    commands: dict[str, list[dict[str, Any]]]
    _token_channel: dict[str, str]
    _token_iid: dict[str, str]
    _born: dict[str, float]
    callbacks: dict[str, list[dict[str, Any]]]

    async def dispatch(self, event: str, data: dict[str, Any]) -> bool:
        raise NotImplementedError

    def _interaction_base(
        self, itype: int, user_id: str, channel_id: str, permissions: str = ALL_PERMISSIONS
    ) -> dict[str, Any]:
        iid = snowflake()
        self._born[iid] = time.monotonic()
        self._token_channel[f"itoken-{iid}"] = channel_id
        self._token_iid[f"itoken-{iid}"] = iid
        return {
            "id": iid,
            "application_id": APP_ID,
            "type": itype,
            "token": f"itoken-{iid}",
            "version": 1,
            "guild_id": guild_of(channel_id),
            "channel_id": channel_id,
            "channel": {
                "id": channel_id,
                "type": 0,
                "name": "general",
                "guild_id": guild_of(channel_id),
                "position": 0,
                "permission_overwrites": [],
                "nsfw": False,
                "parent_id": None,
            },
            "member": {**member(user_id), "permissions": permissions},
            "app_permissions": ALL_PERMISSIONS,
            "locale": "en-US",
            "guild_locale": "en-US",
            "entitlements": [],
            "attachment_size_limit": 10485760,
            "authorizing_integration_owners": {"0": guild_of(channel_id)},
            "context": 0,
        }

    async def slash(
        self,
        name: str,
        options: dict[str, Any] | None = None,
        *,
        sub: str | None = None,
        user_id: str = ALICE_ID,
        channel_id: str = CHANNEL_ID,
        attachments: dict[str, dict[str, Any]] | None = None,
        permissions: str = ALL_PERMISSIONS,
    ) -> str:
        """A slash command; ``attachments`` maps option name → attachment payload."""
        spec = self._spec(name, sub)
        opts: list[dict[str, Any]] = []
        for oname, value in (options or {}).items():
            otype = spec.get(oname, 3)
            opts.append({"name": oname, "type": otype, "value": value})
        resolved: dict[str, Any] = {}
        for oname, a in (attachments or {}).items():
            opts.append({"name": oname, "type": 11, "value": a["id"]})
            resolved.setdefault("attachments", {})[a["id"]] = a
        if sub is not None:
            opts = [{"name": sub, "type": 1, "options": opts}]
        data = self._interaction_base(2, user_id, channel_id, permissions)
        data["data"] = {"id": snowflake(), "name": name, "type": 1, "options": opts}
        if resolved:
            data["data"]["resolved"] = resolved
        await self.dispatch("INTERACTION_CREATE", data)
        return str(data["id"])

    async def autocomplete(
        self,
        name: str,
        focused: str,
        typed: str,
        others: dict[str, Any] | None = None,
        *,
        sub: str | None = None,
    ) -> str:
        opts: list[dict[str, Any]] = [
            {"name": k, "type": 3, "value": v} for k, v in (others or {}).items()
        ]
        opts.append({"name": focused, "type": 3, "value": typed, "focused": True})
        if sub is not None:
            opts = [{"name": sub, "type": 1, "options": opts}]
        data = self._interaction_base(4, ALICE_ID, CHANNEL_ID)
        data["data"] = {"id": snowflake(), "name": name, "type": 1, "options": opts}
        await self.dispatch("INTERACTION_CREATE", data)
        return str(data["id"])

    async def submit_opened_modal(
        self,
        opened_by: str,
        values: list[str],
        *,
        user_id: str = ALICE_ID,
        channel_id: str = CHANNEL_ID,
        permissions: str = ALL_PERMISSIONS,
    ) -> str:
        """Submit the modal the bot opened (callback type 9) for interaction ``opened_by``,
        its text inputs filled with ``values`` in order."""
        modal = next(b["data"] for b in self.callbacks[opened_by] if b["type"] == 9)
        inputs = [c for row in modal["components"] for c in row["components"]]
        rows = [
            {"type": 1, "components": [{"type": 4, "custom_id": c["custom_id"], "value": v}]}
            for c, v in zip(inputs, values, strict=True)
        ]
        data = self._interaction_base(5, user_id, channel_id, permissions)
        data["data"] = {"custom_id": modal["custom_id"], "components": rows}
        await self.dispatch("INTERACTION_CREATE", data)
        return str(data["id"])

    async def press(self, message_id: str, custom_id: str, *, user_id: str = BOB_ID) -> str:
        msg = self.messages[message_id]
        data = self._interaction_base(3, user_id, msg.channel_id)
        data["message"] = msg.payload()
        data["data"] = {"custom_id": custom_id, "component_type": 2}
        await self.dispatch("INTERACTION_CREATE", data)
        return str(data["id"])

    def modal(self, interaction_id: str) -> dict[str, Any] | None:
        """The form (modal) the bot answered ``interaction_id`` with, if any."""
        for body in self.callbacks.get(interaction_id, []):
            if body.get("type") == 9:
                return dict(body.get("data") or {})
        return None

    async def submit_modal(
        self,
        form: dict[str, Any],
        values: dict[str, str],
        *,
        user_id: str = BOB_ID,
        channel_id: str = CHANNEL_ID,
        message_id: str | None = None,
    ) -> str:
        """Submit a form the bot opened: ``values`` maps each text input's custom id → text."""
        data = self._interaction_base(5, user_id, channel_id)
        rows = [
            {"type": 1, "components": [{"type": 4, "custom_id": k, "value": v}]}
            for k, v in values.items()
        ]
        data["data"] = {"custom_id": form["custom_id"], "components": rows}
        if message_id is not None:
            data["message"] = self.messages[message_id].payload()
        await self.dispatch("INTERACTION_CREATE", data)
        return str(data["id"])

    async def react(
        self,
        message_id: str,
        emoji: str = "✅",
        *,
        user_id: str = BOB_ID,
        channel_id: str | None = None,
        remove: bool = False,
        roles: list[str] | None = None,
    ) -> None:
        msg = self.messages.get(message_id)
        cid = channel_id or (msg.channel_id if msg else CHANNEL_ID)
        data: dict[str, Any] = {
            "user_id": user_id,
            "channel_id": cid,
            "message_id": message_id,
            "guild_id": guild_of(cid),
            "emoji": {"id": None, "name": emoji},
            "type": 0,
            "burst": False,
            "burst_colors": [],
        }
        if not remove:
            data["member"] = (
                member(user_id, roles)
                if user_id != BOT_ID
                else {**member(BOT_ID, []), "user": BOT_USER}
            )
            data["message_author_id"] = BOT_ID
        await self.dispatch("MESSAGE_REACTION_REMOVE" if remove else "MESSAGE_REACTION_ADD", data)

    async def raw(self, event: str, data: dict[str, Any]) -> None:
        await self.dispatch(event, data)

    async def interaction(self, data: dict[str, Any]) -> str:
        """INTERACTION_CREATE with ``data`` as given, its token made answerable here."""
        iid = str(data["id"])
        token = f"itoken-{iid}"
        self._token_channel[token] = str(data.get("channel_id") or CHANNEL_ID)
        self._token_iid[token] = iid
        await self.dispatch("INTERACTION_CREATE", {**data, "token": token})
        return iid

    def _spec(self, name: str, sub: str | None) -> dict[str, int]:
        """Option types from the last synced commands (so booleans go as booleans)."""
        for cmds in self.commands.values():
            for c in cmds:
                if c["name"] != name:
                    continue
                opts = c.get("options", [])
                if sub is not None:
                    opts = next((o.get("options", []) for o in opts if o["name"] == sub), [])
                return {o["name"]: o["type"] for o in opts}
        return {}
