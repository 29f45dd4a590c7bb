from datetime import UTC, datetime
from pathlib import Path

from bot import tracking
from bot.api.models import Account, Platform, PostStatus, Target
from bot.notifier.render import announcement
from bot.storage import Database

NOW = datetime(2026, 7, 1, 9, tzinfo=UTC)


def _post(**kw: object) -> tracking.TrackedPost:
    base: dict[str, object] = dict(
        post_id="pst_1",
        workspace="default",
        platform="slack",
        channel="C1",
        thread="1.2",
        requester="U1",
        requester_name="alice",
        created_at=NOW,
        scheduled_at=None,
        last_due_at=None,
        status="publishing",
        summary="We shipped",
    )
    base.update(kw)
    return tracking.TrackedPost(**base)  # type: ignore[arg-type]


def test_account_labels_use_handles_as_people_write_them() -> None:
    labels = tracking.account_labels(
        [
            Account("acc_x", Platform.X, "acme_x", "Acme"),
            Account("acc_ig", Platform.INSTAGRAM, "@acme", "Acme"),
            Account("acc_fb", Platform.FACEBOOK, "acme", "Acme Inc"),
            Account("acc_li", Platform.LINKEDIN, "", "Alex Rivera"),
        ]
    )
    assert labels == {
        "acc_x": "@acme_x",
        "acc_ig": "@acme",
        "acc_fb": "acme",
        "acc_li": "Alex Rivera",
    }


async def test_labels_survive_the_database_and_a_status_update(tmp_path: Path) -> None:
    db = await Database.open(str(tmp_path / "t.db"))
    await db.transaction(lambda s: tracking.record(s, _post(accounts={"acc_x": "@acme_x"})))
    # A later record without labels (e.g. a status change) keeps them.
    await db.transaction(lambda s: tracking.record(s, _post(status="published")))
    row = await db.run(lambda s: tracking.get(s, "pst_1"))
    await db.close()
    assert row is not None and row.status == "published"
    assert row.accounts == {"acc_x": "@acme_x"}


def test_announcement_names_accounts_by_label() -> None:
    post = _post(accounts={"acc_x": "@acme_x"})
    ann = announcement(
        post,
        "published",
        [Target("acc_x", Platform.X, PostStatus.PUBLISHED, permalink="https://x.com/a/1"),
         Target("acc_gone", Platform.X, PostStatus.PUBLISHED, permalink="https://x.com/b/2")],
    )  # fmt: skip
    assert [t.account for t in ann.targets] == ["@acme_x", "acc_gone"]
