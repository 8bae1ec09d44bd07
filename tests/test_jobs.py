"""The job buffer's flush against a real Redis, and jobs an arq worker then runs."""

from datetime import timedelta

from arq.constants import default_queue_name, job_key_prefix
from arq.jobs import Job, JobStatus

from shared.jobs import JobPayload, JobQueue


class Ping(JobPayload):
    n: int


class TestFlush:
    async def test_a_whole_buffer_is_enqueued_and_readable_by_arq(self, redis):
        queue = JobQueue()
        for n in range(2_000):
            queue.defer("demo.ping", Ping(n=n), job_id=f"ping:{n}")
        enqueued = await queue.flush(redis)
        assert len(enqueued) == 2_000
        assert await redis.zcard(default_queue_name) == 2_000
        info = await Job("ping:1234", redis).info()
        assert (info.function, info.args) == ("demo.ping", ({"n": 1234},))
        assert await Job("ping:1234", redis).status() == JobStatus.queued

    async def test_a_job_id_already_queued_is_skipped_and_left_as_it_was(self, redis):
        first = JobQueue()
        first.defer("demo.ping", Ping(n=1), job_id="ping:same")
        await first.flush(redis)
        again = JobQueue()
        again.defer("demo.ping", Ping(n=2), job_id="ping:same")
        again.defer("demo.ping", Ping(n=3), job_id="ping:other")
        again.defer("demo.ping", Ping(n=4), job_id="ping:other")
        assert await again.flush(redis) == ["ping:other"]
        assert (await Job("ping:same", redis).info()).args == ({"n": 1},)
        assert (await Job("ping:other", redis).info()).args == ({"n": 3},)

    async def test_a_single_job_goes_out_alone_and_is_skipped_when_queued(self, redis):
        # One job takes the single-call path, not the pipeline: the same rules hold.
        for n in (1, 2):
            queue = JobQueue()
            queue.defer("demo.ping", Ping(n=n), job_id="ping:alone")
            assert await queue.flush(redis) == (["ping:alone"] if n == 1 else [])
        assert (await Job("ping:alone", redis).info()).args == ({"n": 1},)
        assert await redis.zcard(default_queue_name) == 1

    async def test_a_deferred_job_is_scored_for_later_and_expires_after_its_wait(self, redis):
        now_queue = JobQueue()
        now_queue.defer("demo.ping", Ping(n=0), job_id="ping:now")
        now_queue.defer("demo.ping", Ping(n=1), job_id="ping:later", defer_by=timedelta(hours=2))
        await now_queue.flush(redis)
        soon = await redis.zscore(default_queue_name, "ping:now")
        later = await redis.zscore(default_queue_name, "ping:later")
        assert 7_199_000 <= later - soon <= 7_201_000
        # Kept until a day past its start time, as arq keeps its own.
        assert await redis.pttl(job_key_prefix + "ping:later") > (2 + 23) * 3_600_000

    async def test_callbacks_run_after_the_jobs(self, redis):
        queue, seen = JobQueue(), []

        async def note():
            seen.append(await redis.zcard(default_queue_name))

        queue.defer("demo.ping", Ping(n=1))
        queue.on_commit(note)
        await queue.flush(redis)
        assert seen == [1]
        assert queue.pending == [] and queue.callbacks == []
