"""Every approval rule, against the Social API and a recording chat port."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from pathlib import Path

import sqlite_utils

from bot import approvals, tracking
from bot.api.models import NewPost, PostUpdate
from bot.chat import (
    APPROVE,
    REJECT,
    ApprovalCard,
    Confirmation,
    ErrorReply,
    MessageRef,
    Outcome,
    ReactionAction,
    User,
)
from bot.clock import FakeClock
from tests.approvals.conftest import (
    ALICE,
    APPROVALS,
    BOB,
    BOT,
    CAROL,
    CHANNEL,
    DAVE,
    Harness,
    RecordingPort,
    make_core,
    policy,
)
from tests.approvals.social import SocialFixture


def titles(outcome: Outcome) -> list[str]:
    return [getattr(r, "title", "") for r in getattr(outcome, "replies", ())]


async def test_submit_creates_a_draft_posts_the_card_and_tells_the_requester(bot: Harness) -> None:
    at = bot.clock.now() + timedelta(days=1)
    replies, ref = await bot.ask(policy(quorum=2, channel=APPROVALS), at=at)

    assert len(bot.social.requests("POST")) == 1
    assert ref.channel == APPROVALS
    card = bot.card(ref)
    assert card.state == "pending" and card.needed == 2 and card.approvals == ()
    assert card.requester.id == ALICE.id
    assert [f.name for f in card.previews] == ["X (@acme_x)", "Facebook (acme)"]
    assert card.caption == "We shipped 🚀" and card.platforms == ("X", "Facebook")
    assert card.previews[0].value.splitlines()[0] == "🔤 13/280 characters as X counts them"
    assert bot.port.reactions == [(ref, (APPROVE, REJECT))]
    assert titles(Outcome(replies)) == [f"Sent for approval in <#{APPROVALS}> — needs 2 approvals"]
    row = await bot.core.db.run(lambda s: tracking.get(s, card.card_id))
    assert row is not None and row.status == "draft"
    assert (row.channel, row.thread, row.requester) == (CHANNEL, "T100", ALICE.id)
    assert row.scheduled_at == at
    assert await bot.social.status(card.card_id) == "draft"


async def test_quorum_of_two_activates_on_the_second_approval(bot: Harness) -> None:
    at = bot.clock.now() + timedelta(days=1)
    _, ref = await bot.ask(policy(quorum=2), at=at)
    post_id = bot.card(ref).card_id

    first = await bot.react(ref, BOB)
    assert titles(first) == ["Approval recorded (1/2)"]
    assert bot.social.requests("PUT") == []
    assert bot.card(ref).approvals == (BOB.id,)

    second = await bot.react(ref, CAROL)
    assert titles(second) == [f"Approved — scheduled for {at.strftime('%a %d %b %H:%M')} UTC"]
    assert len(bot.social.requests("PUT", post_id)) == 1
    activated = await bot.social.client.get_post(post_id)
    assert activated.status == "scheduled" and activated.scheduled_at == at
    card = bot.card(ref)
    assert card.state == "approved" and card.approvals == (BOB.id, CAROL.id)
    assert not card.buttons
    told = [s for s in bot.port.sent if s.dest.channel == CHANNEL and s.dest.thread == "T100"]
    assert any("Approved by <@U_BOB>, <@U_CAROL>" in getattr(s.reply, "title", "") for s in told)
    row = await bot.core.db.run(lambda s: tracking.get(s, post_id))
    assert row is not None and row.status == "scheduled"
    assert await bot.social.status(post_id) == "scheduled"


async def test_the_same_person_approving_twice_counts_once(bot: Harness) -> None:
    _, ref = await bot.ask(policy(quorum=2))
    await bot.react(ref, BOB)
    again = await bot.react(ref, BOB)
    again_button = await bot.press(ref, BOB)
    assert again.replies == () and again_button.replies == ()
    assert bot.social.requests("PUT") == []
    assert bot.card(ref).approvals == (BOB.id,)


async def test_non_approver_requester_and_bot_change_nothing(bot: Harness) -> None:
    _, ref = await bot.ask(policy(quorum=1))
    sent, updates = len(bot.port.sent), len(bot.port.updates)
    told: dict[str, list[str]] = {}
    for user in (DAVE, ALICE, BOT):
        for emoji in (APPROVE, REJECT):
            out = await bot.react(ref, user, emoji)
            told.setdefault(user.id, []).extend(titles(out))
    # each person is told why once per card (privately: the replies are ephemeral); the bot never
    assert told == {
        DAVE.id: ["You are not an approver for this request"],
        ALICE.id: ["You can't approve or reject your own request"],
        BOT.id: [],
    }
    assert bot.social.requests("PUT") == [] and bot.social.requests("DELETE") == []
    assert (len(bot.port.sent), len(bot.port.updates)) == (sent, updates)
    assert bot.card(ref).state == "pending"


async def test_typed_approve_from_a_non_approver_is_answered(bot: Harness) -> None:
    _, ref = await bot.ask(policy(quorum=1))
    out = await approvals.approve(bot.core, bot.card(ref).card_id, DAVE)
    assert titles(out) == ["You are not an approver for this request"]
    mine = await approvals.approve(bot.core, bot.card(ref).card_id, ALICE)
    assert titles(mine) == ["You can't approve or reject your own request"]
    assert bot.social.requests("PUT") == []


async def test_self_approval_counts_when_allowed(bot: Harness) -> None:
    _, ref = await bot.ask(policy(ALICE.id, quorum=1, allow_self=True))
    await bot.react(ref, ALICE)
    assert len(bot.social.requests("PUT")) == 1
    assert bot.card(ref).state == "approved"


async def test_user_group_and_role_approvers(bot: Harness) -> None:
    bot.port.groups["S0EDITORS"] = frozenset({CAROL.id})
    _, ref = await bot.ask(policy("S0EDITORS", "role:42", quorum=2))
    assert titles(await bot.react(ref, DAVE)) == ["You are not an approver for this request"]
    erin = User("U_ERIN", "erin", roles=frozenset({"7"}))
    assert titles(await bot.react(ref, erin)) == ["You are not an approver for this request"]
    assert titles(await bot.react(ref, CAROL)) == ["Approval recorded (1/2)"]
    await bot.react(ref, User("U_FRANK", "frank", roles=frozenset({"42", "9"})))
    assert len(bot.social.requests("PUT")) == 1
    assert bot.card(ref).approvals == (CAROL.id, "U_FRANK")


async def test_removing_a_check_before_quorum_withdraws_it(bot: Harness) -> None:
    _, ref = await bot.ask(policy(quorum=2))
    await bot.react(ref, BOB)
    out = await bot.react(ref, BOB, action=ReactionAction.REMOVED)
    assert titles(out) == ["Approval withdrawn (0/2)"]
    assert bot.card(ref).approvals == ()
    await bot.react(ref, CAROL)
    assert bot.social.requests("PUT") == []
    assert bot.card(ref).state == "pending"
    # removing after the decision changes nothing
    await bot.react(ref, BOB)
    assert bot.card(ref).state == "approved"
    assert (await bot.react(ref, BOB, action=ReactionAction.REMOVED)).replies == ()
    assert bot.card(ref).state == "approved"


async def test_reject_deletes_the_draft_and_tells_the_requester_with_a_reason(bot: Harness) -> None:
    _, ref = await bot.ask(policy(quorum=2))
    post_id = bot.card(ref).card_id
    await bot.react(ref, CAROL)
    out = await bot.reject(ref, BOB)
    assert "Rejected — the draft was deleted" in titles(out)[0]
    assert len(bot.social.requests("DELETE", post_id)) == 1
    assert bot.social.requests("PUT") == []
    card = bot.card(ref)
    assert card.state == "rejected" and card.decided_by == BOB.id
    assert f"Rejected by <@U_BOB> — post {post_id} will not be published" in bot.port.to_origin()

    why = await approvals.reject(bot.core, post_id, BOB, "the launch moved to Friday")
    assert titles(why) == ["Reason sent to the requester"]
    reason = [
        s.reply for s in bot.port.sent if "reason for rejecting" in getattr(s.reply, "title", "")
    ]
    assert isinstance(reason[0], Confirmation) and reason[0].text == "the launch moved to Friday"
    assert bot.card(ref).note == "the launch moved to Friday"

    late = await bot.react(ref, CAROL)
    assert titles(late) == ["This request was already rejected by <@U_BOB>"]
    row = await bot.core.db.run(lambda s: tracking.get(s, post_id))
    assert row is not None and row.status == "canceled"
    assert await bot.social.status(post_id) == "canceled"


async def test_typed_reject_with_a_reason(bot: Harness) -> None:
    _, ref = await bot.ask(policy(quorum=1))
    post_id = bot.card(ref).card_id
    await approvals.reject(bot.core, post_id, CAROL, "  typo in the caption ")
    sent = [s.reply for s in bot.port.sent if isinstance(s.reply, Confirmation)]
    assert any(r.text == "Reason: typo in the caption" for r in sent)
    assert bot.card(ref).state == "rejected" and bot.card(ref).note == "typo in the caption"


async def test_an_edit_before_quorum_resets_the_approvals(bot: Harness) -> None:
    _, ref = await bot.ask(policy(quorum=2))
    post_id = bot.card(ref).card_id
    await bot.react(ref, BOB)
    at = bot.clock.now() + timedelta(days=2)
    note = await approvals.on_edit(
        bot.core,
        post_id,
        ALICE,
        post=NewPost(account_ids=("acc_x_1",), scheduled_at=at),
        when="Thu 04 Jun 12:00 UTC",
        summary="We shipped v2 🚀",
    )
    assert note is not None and "approvals reset" in note
    card = bot.card(ref)
    assert card.approvals == () and card.when == "Thu 04 Jun 12:00 UTC"
    assert card.caption == "We shipped v2 🚀"
    assert card.previews[0].value.splitlines() == [
        "🔤 16/280 characters as X counts them",
        "🕒 Thu 04 Jun 12:00 UTC",
    ]
    assert card.title == "alice asks to publish: We shipped v2 🚀"
    await bot.react(ref, CAROL)
    assert bot.social.requests("PUT") == []
    await bot.react(ref, BOB)
    assert len(bot.social.requests("PUT")) == 1
    assert (await bot.social.client.get_post(post_id)).scheduled_at == at  # the edited time
    lines = await approvals.history(bot.core, post_id)
    assert any("edited the post (1 approval reset) · post v2" in line for line in lines)
    assert any("<@U_BOB> approved · post v1" in line for line in lines)
    assert any("<@U_BOB> approved · post v2" in line for line in lines)
    # an edit after the decision is not an approval matter
    assert await approvals.on_edit(bot.core, post_id, ALICE) is None


async def test_expiry_closes_the_request(bot: Harness) -> None:
    _, ref = await bot.ask(policy(quorum=1, expires_after=timedelta(hours=48)))
    post_id = bot.card(ref).card_id
    assert await approvals.expire_due(bot.core, bot.clock.now()) == 0
    bot.clock.advance(48 * 3600 + 1)
    assert await approvals.expire_due(bot.core, bot.clock.now()) == 1
    assert await approvals.expire_due(bot.core, bot.clock.now()) == 0
    assert bot.card(ref).state == "expired"
    assert len(bot.social.requests("DELETE", post_id)) == 1
    assert any("expired" in t for t in bot.port.to_origin())
    late = await bot.react(ref, BOB)
    assert titles(late) == ["This request was already expired"]
    assert bot.social.requests("PUT") == []


async def test_a_check_after_expiry_but_before_the_sweep_expires_it(bot: Harness) -> None:
    _, ref = await bot.ask(policy(quorum=1, expires_after=timedelta(hours=1)))
    bot.clock.advance(3601)
    out = await bot.react(ref, BOB)
    assert titles(out) == ["This request has expired"]
    assert bot.social.requests("PUT") == []
    assert bot.card(ref).state == "expired"


async def test_concurrent_approvals_at_quorum_activate_exactly_once(bot: Harness) -> None:
    _, ref = await bot.ask(policy(quorum=1))
    out_bob, out_carol = await asyncio.gather(bot.react(ref, BOB), bot.react(ref, CAROL))
    assert len(bot.social.requests("PUT")) == 1
    replies = [*out_bob.replies, *out_carol.replies]
    won = [r for r in replies if isinstance(r, Confirmation)]
    lost = [r for r in replies if isinstance(r, ErrorReply)]
    assert len(won) == 1 and len(lost) == 1
    winner = bot.card(ref).decided_by
    assert lost[0].title in (
        f"This request was already being approved by <@{winner}>",
        f"This request was already approved by <@{winner}>",
    )
    assert sum("Approved by" in t for t in bot.port.to_origin()) == 1


async def test_three_approvers_at_once_with_quorum_two(bot: Harness) -> None:
    _, ref = await bot.ask(policy(quorum=2))
    results = await asyncio.gather(*(bot.react(ref, u) for u in (BOB, CAROL, ALICE, DAVE)))
    assert len(bot.social.requests("PUT")) == 1
    refused = (
        "You can't approve or reject your own request",
        "You are not an approver for this request",
    )
    lost = [
        r
        for o in results
        for r in o.replies
        if isinstance(r, ErrorReply) and r.title not in refused
    ]
    assert len(lost) <= 1
    assert bot.card(ref).state == "approved"


async def test_approve_and_reject_together_give_one_final_state(bot: Harness) -> None:
    for order in ((BOB, CAROL), (CAROL, BOB)):
        _, ref = await bot.ask(policy(quorum=1))
        approver, rejecter = order
        a, r = await asyncio.gather(bot.react(ref, approver), bot.reject(ref, rejecter))
        card = bot.card(ref)
        assert card.state in ("approved", "rejected")
        puts = bot.social.requests("PUT", card.card_id)
        deletes = bot.social.requests("DELETE", card.card_id)
        assert (len(puts), len(deletes)) == ((1, 0) if card.state == "approved" else (0, 1))
        loser = r if card.state == "approved" else a
        (told,) = loser.replies
        assert isinstance(told, ErrorReply)
        assert f"by <@{card.decided_by}>" in told.title


async def test_restart_then_approve_an_old_card(
    tmp_path: Path, social: SocialFixture, clock: FakeClock
) -> None:
    port1 = RecordingPort()
    core1 = await make_core(tmp_path / "bot.db", social, port1, clock)
    first = Harness(core1, port1, social)
    _, ref = await first.ask(policy(quorum=1))
    post_id = first.card(ref).card_id
    await core1.db.close()

    clock.advance(86400)
    port2 = RecordingPort()  # empty cache: knows no card
    core2 = await make_core(tmp_path / "bot.db", social, port2, clock)
    try:
        again = Harness(core2, port2, social)
        out = await again.react(ref, BOB)
        assert titles(out)[0].startswith("Approved — ")
        assert len(social.requests("PUT", post_id)) == 1
        (updated_ref, card) = port2.updates[-1]
        assert updated_ref == ref and isinstance(card, ApprovalCard) and card.state == "approved"
        assert any(s.dest.thread == "T100" for s in port2.sent)
    finally:
        await core2.db.close()


async def test_time_passed_publishes_now_and_says_so(bot: Harness) -> None:
    at = bot.clock.now() + timedelta(hours=1)
    _, ref = await bot.ask(policy(quorum=1), at=at)
    bot.clock.advance(2 * 3600)
    out = await bot.react(ref, BOB)
    (put,) = bot.social.requests("PUT")
    assert await bot.social.status(put.rsplit("/", 1)[1]) == "publishing"
    assert "publishing now" in titles(out)[0]
    assert any("the scheduled time had passed" in t for t in bot.port.to_origin())


async def test_publish_now_request(bot: Harness) -> None:
    _, ref = await bot.ask(policy(quorum=1))
    await bot.press(ref, BOB, APPROVE)
    post_id = bot.card(ref).card_id
    assert bot.social.requests("PUT") == [f"/v1/posts/{post_id}"]
    assert await bot.social.status(post_id) == "publishing"
    bot.clock.advance(3)
    assert await bot.social.status(post_id) == "published"
    assert bot.card(ref).state == "approved"


async def test_failed_activation_stays_pending_and_the_next_check_retries(bot: Harness) -> None:
    _, ref = await bot.ask(policy(quorum=1))
    post_id = bot.card(ref).card_id
    bot.social.sandbox.faults.error_rate = 1.0  # every request answers 503 (after retries)
    out = await bot.react(ref, BOB)
    bot.social.sandbox.faults.reset()
    assert bot.social.requests("PUT", post_id) == []
    assert any(e.method == "PUT" and e.status == 503 for e in bot.social.sandbox.state.log)
    assert isinstance(out.replies[0], ErrorReply)
    assert out.replies[0].reference
    card = bot.card(ref)
    assert card.state == "pending" and card.buttons
    assert card.note is not None and "retry" in card.note
    assert any("could not be activated" in t for t in bot.port.to_origin())

    again = await bot.react(ref, BOB)  # the same approver's ✅ again retries
    assert titles(again)[0].startswith("Approved — ")
    assert len(bot.social.requests("PUT", post_id)) == 1
    assert bot.card(ref).state == "approved"
    assert await bot.social.status(post_id) == "publishing"
    lines = await approvals.history(bot.core, post_id)
    assert any("activation failed" in line for line in lines)


async def test_card_that_cannot_be_posted_cancels_the_request(bot: Harness) -> None:
    bot.port.fail_sends_to.add(APPROVALS)
    replies = await approvals.submit(bot.core, await bot.request(), policy(channel=APPROVALS))
    (err,) = replies
    assert isinstance(err, ErrorReply) and err.reference
    assert len(bot.social.requests("POST")) == 1
    (deleted,) = bot.social.requests("DELETE")
    assert await bot.social.status(deleted.rsplit("/", 1)[1]) == "canceled"


async def test_history_lists_every_decision(bot: Harness) -> None:
    _, ref = await bot.ask(policy(quorum=2))
    post_id = bot.card(ref).card_id
    await bot.react(ref, BOB)
    await bot.react(ref, BOB, action=ReactionAction.REMOVED)
    await bot.react(ref, BOB)
    await bot.react(ref, CAROL)
    lines = await approvals.history(bot.core, post_id)
    assert [line.split(" · ", 1)[1] for line in lines] == [
        "<@U_ALICE> asked for approval (needs 2 approvals) · post v1",
        "<@U_BOB> approved · post v1",
        "<@U_BOB> withdrew their approval · post v1",
        "<@U_BOB> approved · post v1",
        "<@U_CAROL> approved · post v1",
        "<@U_CAROL> activation: publishing now · post v1",
    ]
    assert await approvals.history(bot.core, "pst_unknown") == ()


async def _crash_after_claim(bot: Harness, post_id: str, state: str, by: str) -> None:
    """What a process killed mid-decision leaves behind: the claimed state, nothing else."""

    def claim(sdb: sqlite_utils.Database) -> None:
        sdb.execute(
            "UPDATE approval_cards SET state = ?, version = version + 1, decided_by = ?, "
            "updated_at = ? WHERE post_id = ?",
            [state, by, bot.clock.now().isoformat(), post_id],
        )

    await bot.core.db.transaction(claim)


async def test_a_decision_interrupted_before_the_api_call_reopens_the_card(bot: Harness) -> None:
    _, ref = await bot.ask(policy(quorum=1))
    post_id = bot.card(ref).card_id
    await _crash_after_claim(bot, post_id, "approving", BOB.id)
    assert await approvals.recover_stuck(bot.core, bot.clock.now()) == 0  # not stuck yet
    bot.clock.advance(6 * 60)
    await approvals.expire_due(bot.core, bot.clock.now())
    card = bot.card(ref)
    assert card.state == "pending" and card.note is not None and "interrupted" in card.note
    assert any("was interrupted" in t for t in bot.port.to_origin())
    await bot.react(ref, BOB)
    assert bot.card(ref).state == "approved"
    assert await bot.social.status(post_id) == "publishing"


async def test_a_decision_interrupted_after_the_api_call_is_confirmed(bot: Harness) -> None:
    _, ref = await bot.ask(policy(quorum=1))
    post_id = bot.card(ref).card_id
    await bot.social.client.update_post(post_id, PostUpdate(publish_now=True))
    await _crash_after_claim(bot, post_id, "approving", BOB.id)
    bot.clock.advance(6 * 60)
    assert await approvals.recover_stuck(bot.core, bot.clock.now()) == 1
    assert bot.card(ref).state == "approved"
    assert len(bot.social.requests("PUT", post_id)) == 1
    row = await bot.core.db.run(lambda s: tracking.get(s, post_id))
    assert row is not None and row.status == "published"


async def test_an_interrupted_rejection_is_finished(bot: Harness) -> None:
    _, ref = await bot.ask(policy(quorum=1))
    post_id = bot.card(ref).card_id
    await _crash_after_claim(bot, post_id, "rejecting", BOB.id)
    bot.clock.advance(6 * 60)
    assert await approvals.recover_stuck(bot.core, bot.clock.now()) == 1
    assert bot.card(ref).state == "rejected"
    assert await bot.social.status(post_id) == "canceled"


async def test_a_reaction_on_a_card_whose_send_has_not_returned_yet_counts(
    tmp_path: Path, social: SocialFixture
) -> None:
    # The card is in the channel (people can react) before its send returns — on Discord a
    # send answered 500 is retried for seconds. A ✅ meanwhile must wait for the card's message
    # id, not be dropped as "not a card".
    gate, sending = asyncio.Event(), asyncio.Event()

    class SlowCardPort(RecordingPort):
        async def send(self, dest, reply, *, key=None):  # type: ignore[no-untyped-def]
            if isinstance(reply, ApprovalCard):
                sending.set()
                await gate.wait()
            return await super().send(dest, reply, key=key)

    class OpeningClock(FakeClock):
        async def sleep(self, seconds: float) -> None:
            gate.set()  # the reaction is waiting: let the card's send return
            await super().sleep(seconds)

    port = SlowCardPort()
    core = await make_core(tmp_path / "bot.db", social, port, OpeningClock())
    bot = Harness(core, port, social)
    try:
        req = await bot.request()
        submit = asyncio.ensure_future(approvals.submit(core, req, policy(channel=APPROVALS)))
        await sending.wait()  # the card row is stored; its send has not returned
        ref = MessageRef("slack", APPROVALS, "1")  # the id the card's send will return
        outcome = await bot.react(ref, BOB)
        gate.set()
        await submit
        assert bot.card(ref).state == "approved", titles(outcome)
    finally:
        await core.db.close()


async def test_a_reaction_on_a_message_that_is_no_card_is_ignored_at_once(bot: Harness) -> None:
    await bot.ask(policy(channel=APPROVALS))  # a card exists, with its message id
    outcome = await bot.react(MessageRef("slack", APPROVALS, "999"), BOB)
    assert outcome == Outcome() and bot.clock.slept == []  # nothing being posted: no wait
