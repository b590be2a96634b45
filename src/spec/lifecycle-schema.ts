import { object, optional, required } from './schema.js';
import { duration } from './schema-scalars.js';

/** The lifecycle settings around the steps: post-promotion analysis, undo and the progress deadline. */

export const postPromotionAnalysis = object(
  { duration: required(duration('how long the new version is judged with all traffic before it becomes stable')) },
  { description: 'after the last step (and confirm-promotion), all traffic goes to the new version and the analysis keeps judging it for this window; a failure switches everything back to stable' },
);

export const undoWindow = duration('how long after promotion `sluice undo NAME` may send all traffic back to the previous stable; without it a promotion cannot be undone');

export const progressDeadline = duration("a rollout that makes no progress (no step, gate or resume) for this long past its step's own wait is rolled back; a manual gate or a user's pause does not count");
