"""The pipeline's legal moves (docs/api.md, "Collaborations").

A collaboration moves one stage forward at a time, so its history shows every step the team
took; any stage before `published` may also end in `declined`. `completed` and `declined` are
final. Staying where it is (PATCH with the current stage) is not a move and is always fine."""

from shared.errors import Conflict
from shared.models.status import CollaborationStage as Stage

PIPELINE = (
    Stage.prospect,
    Stage.contacted,
    Stage.negotiating,
    Stage.contracted,
    Stage.content_submitted,
    Stage.approved,
    Stage.published,
    Stage.completed,
)
# Where a new collaboration may start: a deal found already under way is entered where it is.
INITIAL = PIPELINE[: PIPELINE.index(Stage.contracted) + 1]


def allowed_moves(stage: Stage) -> tuple[Stage, ...]:
    if stage == Stage.declined or stage == PIPELINE[-1]:
        return ()
    position = PIPELINE.index(stage)
    following = (PIPELINE[position + 1],)
    if position < PIPELINE.index(Stage.published):
        return (*following, Stage.declined)
    return following


def check_move(current: Stage, target: Stage) -> None:
    """Conflict naming the allowed moves unless `current → target` is one."""
    if target == current or target in allowed_moves(current):
        return
    allowed = allowed_moves(current)
    options = ", ".join(allowed) if allowed else f"none: {current} is final"
    raise Conflict(f"a collaboration cannot move from {current} to {target}; allowed: {options}")
