"""The states a post and an account can be in: one enum each, used by the models, the schemas and
the SQL, so a new state cannot be half added."""

from enum import StrEnum


class PostStatus(StrEnum):
    pending = "pending"  # tracked by a URL whose API id the next account sync resolves
    tracking = "tracking"  # refreshed on its cadence
    paused = "paused"  # its credential (or Sway's configuration) must be fixed; resumes then
    stopped = "stopped"  # past the refresh horizon, or its campaign or creator is archived
    gone = "gone"  # missing from two refreshes in a row (deleted, private)
    error = "error"  # its own platform call keeps failing; `status_detail` says why


class SyncStatus(StrEnum):
    pending = "pending"  # never synced, or new credentials await their first sync
    ok = "ok"
    rate_limited = "rate_limited"  # retried after the platform's hint
    auth_expired = "auth_expired"  # a person must PUT new credentials
    not_found = "not_found"  # the platform has no such account
    config_error = "config_error"  # a Sway setting is missing or refused; retried by itself
    error = "error"  # anything else; `sync_error` says what, retried on the usual interval
    archived = "archived"  # its creator is archived: no more syncs
