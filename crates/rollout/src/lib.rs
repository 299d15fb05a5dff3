//! Pure rollout state machine: (state, observations, now) -> (state, actions).
