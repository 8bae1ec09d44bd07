"""How the schema spreads over Citus nodes (docs/scaling.md, "Distributing with Citus"): every
table with an org_id is distributed by it, except the reference tables named here, copied whole
to every node; tests/test_distribution.py walks the schema and fails on any table that fits
neither rule."""

DISTRIBUTION_COLUMN = "org_id"

# Small, read before the organization is known or by every tenant's rows, written rarely. A
# reference table may reference another, never a distributed one.
REFERENCE_TABLES: dict[str, str] = {
    "organization": "the tenants themselves: every distributed row references one",
    "api_key": "found by key_hash (unique across organizations) before the organization is known;"
    " written when a key is made or revoked, and last_used_at at most once a minute per key",
    "webhook_source": "found by id at /webhooks/{id} before the organization is known; a handful"
    " per organization",
    "link_code": "which organization a tracking link code belongs to: /r/{code} arrives with no"
    " organization, and a code is unique across all of them",
}

# Kept on the coordinator only.
LOCAL_TABLES: dict[str, str] = {
    "alembic_version": "Alembic's record of the schema's revision",
}
