"""The deliverable sweep (late, missed, following linked posts) and content capture linking
captured posts to deliverables."""

from datetime import UTC, date, datetime, timedelta

from sqlalchemy import select

from services.worker.jobs import deliverables
from services.worker.main import WorkerSettings
from shared.domain.deliverable import service as deliverable_service
from shared.domain.post import capture
from shared.models import Post
from shared.platforms.base import PostInfo
from tests.factories import (
    create_account,
    create_campaign,
    create_collaboration,
    create_creator,
    create_deliverable,
    create_post,
    create_tenant,
    utc,
)

NOW = utc(2026, 12, 10, 12)
GRACE_S = 3 * 24 * 3600


async def _collaboration(session, **overrides):
    tenant = await create_tenant(session)
    creator = await create_creator(session, tenant.org_id)
    account = await create_account(
        session, tenant.org_id, creator.id, platform="instagram", handle="ada.brews"
    )
    campaign = await create_campaign(
        session, tenant.org_id, status="active", hashtags=["autumnroast"]
    )
    collaboration = await create_collaboration(
        session, tenant.org_id, campaign.id, creator.id, stage="contracted", **overrides
    )
    return account, campaign, collaboration


async def _statuses(session, *deliverables_):
    for deliverable in deliverables_:
        await session.refresh(deliverable)
    return [d.status for d in deliverables_]


class TestMarkOverdue:
    async def test_late_after_due_then_missed_after_grace(self, session):
        _, _, collaboration = await _collaboration(session)
        on_time = await create_deliverable(session, collaboration, due_at=NOW + timedelta(hours=1))
        late = await create_deliverable(
            session, collaboration, due_at=NOW - timedelta(hours=1), status="approved"
        )
        missed = await create_deliverable(
            session, collaboration, due_at=NOW - timedelta(days=4), status="late"
        )
        undated = await create_deliverable(session, collaboration, due_at=None)
        counts = await deliverable_service.mark_overdue(session, now=NOW, grace_s=GRACE_S)
        assert counts == {"followed": 0, "missed": 1, "late": 1}
        assert await _statuses(session, on_time, late, missed, undated) == [
            "pending",
            "late",
            "missed",
            "pending",
        ]
        # Safe to run again: nothing more to change.
        again = await deliverable_service.mark_overdue(session, now=NOW, grace_s=GRACE_S)
        assert again == {"followed": 0, "missed": 0, "late": 0}

    async def test_published_and_declined_are_left_alone(self, session):
        account, campaign, collaboration = await _collaboration(session)
        published = await create_deliverable(
            session, collaboration, due_at=NOW - timedelta(days=9), status="published"
        )
        post = await create_post(session, account, campaign_id=campaign.id)
        post.deliverable_id = published.id
        _, _, declined = await _collaboration(session, notes="declined later")
        declined.stage = "declined"
        await session.commit()
        moot = await create_deliverable(session, declined, due_at=NOW - timedelta(days=9))
        await deliverable_service.mark_overdue(session, now=NOW, grace_s=GRACE_S)
        assert await _statuses(session, published, moot) == ["published", "pending"]

    async def test_follows_linked_posts(self, session):
        account, campaign, collaboration = await _collaboration(session)
        waiting = await create_deliverable(session, collaboration, due_at=NOW - timedelta(days=1))
        post = await create_post(session, account, campaign_id=campaign.id, status="pending")
        post.deliverable_id = waiting.id
        await session.commit()
        await deliverable_service.mark_overdue(session, now=NOW, grace_s=GRACE_S)
        assert await _statuses(session, waiting) == ["late"]  # its post is not tracked yet
        post.status = "tracking"
        await session.commit()
        await deliverable_service.mark_overdue(session, now=NOW, grace_s=GRACE_S)
        assert await _statuses(session, waiting) == ["published"]
        post.deliverable_id = None
        await session.commit()
        await deliverable_service.mark_overdue(session, now=NOW, grace_s=GRACE_S)
        assert await _statuses(session, waiting) == ["late"]


class TestJob:
    def test_registered_as_a_cron(self):
        names = {job.name for job in WorkerSettings.cron_jobs}
        assert "deliverable.mark_overdue" in names

    async def test_job_uses_the_grace_setting(self, worker_ctx, session):
        _, _, collaboration = await _collaboration(session)
        now = datetime.now(UTC)
        overdue = await create_deliverable(session, collaboration, due_at=now - timedelta(hours=2))
        worker_ctx["settings"] = worker_ctx["settings"].model_copy(
            update={"deliverable_grace_s": 3600}
        )
        counts = await deliverables.mark_overdue_deliverables(worker_ctx)
        assert counts["missed"] == 1
        assert await _statuses(session, overdue) == ["missed"]


class TestCaptureLinksDeliverables:
    async def test_captured_post_carrying_the_requirements_is_linked(self, session):
        account, campaign, collaboration = await _collaboration(session)
        wanted = await create_deliverable(
            session,
            collaboration,
            platform="instagram",
            hashtags=["autumnroast", "ad"],
            mentions=["acme.coffee"],
        )
        listed = [
            PostInfo("Partial01", None, "post", "#AutumnRoast only", utc(2026, 12, 9)),
            PostInfo("Full00001", None, "post", "#AutumnRoast #ad @Acme.Coffee", utc(2026, 12, 9)),
        ]
        await capture.capture(session, account, listed, now=NOW)
        posts = {
            p.external_id: p
            for p in (await session.scalars(select(Post).where(Post.org_id == account.org_id)))
        }
        assert set(posts) == {"Partial01", "Full00001"}
        assert posts["Full00001"].deliverable_id == wanted.id
        assert posts["Partial01"].deliverable_id is None
        assert await _statuses(session, wanted) == ["published"]

    async def test_a_deliverables_requirements_capture_for_a_campaign_without_tags(self, session):
        tenant = await create_tenant(session)
        creator = await create_creator(session, tenant.org_id)
        account = await create_account(
            session, tenant.org_id, creator.id, platform="instagram", handle="ada.brews"
        )
        quiet = await create_campaign(session, tenant.org_id, name="No tags", status="active")
        collaboration = await create_collaboration(session, tenant.org_id, quiet.id, creator.id)
        wanted = await create_deliverable(
            session, collaboration, platform="instagram", hashtags=["adaxacme"]
        )
        await create_deliverable(session, collaboration, platform="instagram")  # no requirement
        listed = [
            PostInfo("Wanted001", None, "post", "Morning! #AdaXAcme", utc(2026, 12, 9)),
            PostInfo("Unrelated", None, "post", "just coffee", utc(2026, 12, 9)),
        ]
        await capture.capture(session, account, listed, now=NOW)
        posts = (await session.scalars(select(Post).where(Post.org_id == tenant.org_id))).all()
        assert [(p.external_id, p.campaign_id, p.deliverable_id) for p in posts] == [
            ("Wanted001", quiet.id, wanted.id)
        ]

    async def test_not_a_post_from_before_the_campaign(self, session):
        tenant = await create_tenant(session)
        creator = await create_creator(session, tenant.org_id)
        account = await create_account(
            session, tenant.org_id, creator.id, platform="instagram", handle="ada.brews"
        )
        dated = await create_campaign(
            session, tenant.org_id, status="active", starts_on=date(2026, 12, 1)
        )
        collaboration = await create_collaboration(session, tenant.org_id, dated.id, creator.id)
        await create_deliverable(
            session, collaboration, platform="instagram", hashtags=["adaxacme"]
        )
        listed = [
            PostInfo("Before001", None, "post", "Last year #AdaXAcme", utc(2026, 11, 20)),
            PostInfo("During001", None, "post", "Now #AdaXAcme", utc(2026, 12, 9)),
        ]
        await capture.capture(session, account, listed, now=NOW)
        posts = (await session.scalars(select(Post).where(Post.org_id == tenant.org_id))).all()
        assert [p.external_id for p in posts] == ["During001"]
