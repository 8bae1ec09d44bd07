from datetime import datetime
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field


class AudienceDimensionRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    dimension: str = Field(description="age, gender, country or city", examples=["country"])
    source: str = Field(
        description="The platform report it came from", examples=["instagram.follower_demographics"]
    )
    captured_at: datetime
    shares: dict[str, float] = Field(
        description="Each bucket's fraction of the audience, 0..1", examples=[{"US": 0.4}]
    )
    total: int | None = Field(description="What the shares are fractions of, where known")


class AudienceRead(BaseModel):
    account_id: UUID
    platform: str
    attempted_at: datetime | None = Field(description="When Sway last asked the platform")
    collected_at: datetime | None = Field(description="When that last succeeded")
    error: str | None = Field(description="Why the last try failed, if it did")
    dimensions: list[AudienceDimensionRead] = Field(
        description="The latest snapshot of each dimension the platform reports"
    )
