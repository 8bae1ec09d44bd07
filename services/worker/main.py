"""The single WorkerSettings the arq CLI points at: `arq services.worker.main.WorkerSettings`."""

from arq import cron
from arq.connections import RedisSettings
from arq.worker import func

from services.worker import context
from services.worker.jobs import (
    accounts,
    campaigns,
    comments,
    connections,
    deliverables,
    history,
    listening,
    posts,
    stories,
    subscriptions,
    webhooks,
)
from shared import jobs
from shared.config import get_settings
from shared.domain.comment import service as comment_service
from shared.domain.listening import profile as listening_profile
from shared.domain.story import service as story_service


def _redis_settings() -> RedisSettings:
    url = get_settings().redis_url
    return RedisSettings.from_dsn(url) if url else RedisSettings()


class WorkerSettings:
    functions = [
        # keep_result=0 frees the job id once done, so a later refresh can enqueue it again.
        func(
            accounts.sync_account,
            name=jobs.SYNC_ACCOUNT,
            max_tries=accounts.MAX_TRIES,
            keep_result=0,
        ),
        # Platform failures are retried by the job itself (with a renewed lease); arq's tries
        # cover a failed write and a worker killed mid-job.
        func(posts.refresh_posts, name=jobs.REFRESH_POSTS, max_tries=3),
        func(campaigns.recompute_kpis, name=jobs.RECOMPUTE_KPIS, max_tries=3),
        # Failures are recorded and retried by the job itself; keep_result=0 frees the job id.
        func(
            webhooks.process_webhook_event,
            name=jobs.PROCESS_WEBHOOK_EVENT,
            max_tries=3,
            keep_result=0,
        ),
        # keep_result=0: the job id (delivery and attempt) is free again once the job is done.
        func(
            subscriptions.deliver_event,
            name=jobs.DELIVER_EVENT,
            max_tries=subscriptions.MAX_TRIES,
            keep_result=0,
        ),
        # A refresh that fails for a passing reason is retried by the next cron run (5 min on).
        func(connections.refresh_token, name=jobs.REFRESH_TOKEN, max_tries=1, keep_result=0),
        # One poll per account per SWAY_STORY_POLL_EVERY_S: the job id names the account's slot,
        # and its result is kept that long, so the scheduler's ticks in between are no-ops.
        func(
            stories.poll_stories,
            name=story_service.POLL_STORIES,
            max_tries=1,
            keep_result=get_settings().story_poll_every_s,
        ),
        # The job id names the post; keep_result=0 frees it once read (Redis keeps when).
        func(
            comments.read_comments,
            name=comment_service.READ_COMMENTS,
            max_tries=1,
            keep_result=0,
        ),
        # One scan per organization at a time (its job id); keep_result=0 frees the id once
        # done, and a scan that ran out of time queues the next itself.
        func(listening.scan_organization, name=listening_profile.SCAN, max_tries=3, keep_result=0),
    ]
    cron_jobs = [
        cron(
            accounts.schedule_account_syncs, name="account.schedule", second=0, run_at_startup=True
        ),
        # Every 10 s, so a newly tracked or refreshed post gets its snapshot within seconds.
        cron(
            posts.schedule_post_refreshes,
            name="post.schedule",
            second=set(range(0, 60, 10)),
            run_at_startup=True,
        ),
        # Once a minute: deliverables follow their posts and turn late, then missed.
        cron(
            deliverables.mark_overdue_deliverables,
            name="deliverable.mark_overdue",
            second=30,
            run_at_startup=True,
        ),
        # Every 30 s: deliveries whose attempt is due, whatever became of their job.
        cron(
            subscriptions.requeue_due_deliveries,
            name="subscription.requeue_due",
            second={0, 30},
            run_at_startup=True,
        ),
        cron(webhooks.requeue_webhook_events, name="webhook.requeue", second=45),
        # Every minute: expired stories stop, connected accounts' story polls and final captures
        # are queued when due (docs/ingestion.md, "Stories").
        cron(stories.schedule_story_polls, name="story.schedule", second=50, run_at_startup=True),
        # Every minute: OAuth tokens about to expire (SWAY_TOKEN_REFRESH_AHEAD_S) are refreshed.
        cron(
            connections.schedule_token_refreshes,
            name="account.schedule_token_refreshes",
            second=15,
            run_at_startup=True,
        ),
        # Every 10 minutes: a read of each tracked post's comments not read for
        # SWAY_COMMENTS_REFRESH_S (docs/listening.md).
        cron(
            comments.schedule_comment_reads,
            name="comment.schedule",
            minute=set(range(0, 60, 10)),
            second=40,
        ),
        # Every 5 minutes: a scan of each organization with a brand or comments to analyse
        # (the scan itself decides whether a caption pass is due).
        cron(
            listening.schedule_listening,
            name="listening.schedule",
            minute=set(range(2, 60, 5)),
            second=20,
        ),
        # Daily, and at startup so a new deployment has its months ready: history partitions
        # ahead, then the opt-in retention (docs/scaling.md).
        cron(
            history.maintain_history,
            name="history.maintain",
            hour=3,
            minute=17,
            second=0,
            run_at_startup=True,
        ),
    ]
    on_startup = context.startup
    on_shutdown = context.shutdown
    redis_settings = _redis_settings()
    max_jobs = get_settings().worker_max_jobs
    job_timeout = get_settings().worker_job_timeout_s
    # Results are only for debugging; keep them an hour, not arq's default day.
    keep_result = 3600
