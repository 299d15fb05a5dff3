//! Pure rendering: merged document -> Claude Code files and desired Kubernetes objects.
