//! Real test fixtures: Git servers, repositories, free ports.
