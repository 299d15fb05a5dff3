//! The stable rule ids of every diagnostic. They are a contract (CI scripts and editors
//! filter on them) and are documented in `docs/config-repo.md`; a test keeps the two in step.

pub const YAML_SYNTAX: &str = "yaml-syntax";
pub const JSON_SYNTAX: &str = "json-syntax";
pub const DUPLICATE_KEY: &str = "duplicate-key";
pub const REPO_SETTINGS: &str = "repo-settings";
pub const PATCH_MARKER: &str = "patch-marker";
pub const AMBIGUOUS_LEAF: &str = "ambiguous-leaf";
pub const MERGE_KEY_MISSING: &str = "merge-key-missing";
pub const MERGE_KEY_DUPLICATE: &str = "merge-key-duplicate";
pub const UNKNOWN_ENVIRONMENT: &str = "unknown-environment";
pub const UNKNOWN_TEAM: &str = "unknown-team";
pub const UNKNOWN_PROJECT: &str = "unknown-project";
pub const UNDECLARED_ENVIRONMENT: &str = "undeclared-environment";
pub const STRAY_FILE: &str = "stray-file";
pub const SCHEMA: &str = "schema";
pub const REPO_SCHEMA: &str = "repo-schema";
pub const MCP_NO_TRANSPORT: &str = "mcp-no-transport";
pub const MCP_TRANSPORT_CONFLICT: &str = "mcp-transport-conflict";
pub const PORT_CLASH: &str = "port-clash";
pub const IMAGE_REFERENCE: &str = "image-reference";
pub const IMAGE_UNPINNED: &str = "image-unpinned";
pub const SECRET_REFERENCE: &str = "secret-reference";
pub const PLAINTEXT_SECRET: &str = "plaintext-secret";

/// Every rule id with a one-line summary, in documentation order.
pub const ALL: &[(&str, &str)] = &[
    (
        YAML_SYNTAX,
        "a fragment or claude-env.yaml is not valid YAML",
    ),
    (
        JSON_SYNTAX,
        "a `.json` fragment or schema is not valid JSON",
    ),
    (DUPLICATE_KEY, "a mapping has the same key twice"),
    (REPO_SETTINGS, "claude-env.yaml is missing or invalid"),
    (
        PATCH_MARKER,
        "a deletion marker is malformed or used where it means nothing",
    ),
    (AMBIGUOUS_LEAF, "two files of one layer set the same leaf"),
    (
        MERGE_KEY_MISSING,
        "an element of a merge-by-key array lacks the key field",
    ),
    (
        MERGE_KEY_DUPLICATE,
        "two elements of one merge-by-key array in one layer share a key",
    ),
    (
        UNKNOWN_ENVIRONMENT,
        "the selected environment is not declared",
    ),
    (UNKNOWN_TEAM, "the selected team has no directory"),
    (UNKNOWN_PROJECT, "the selected project has no directory"),
    (
        UNDECLARED_ENVIRONMENT,
        "an environments/ directory is not declared in claude-env.yaml",
    ),
    (
        STRAY_FILE,
        "a fragment sits outside any layer directory and is ignored",
    ),
    (
        SCHEMA,
        "the document violates schemas/claude-env.schema.json",
    ),
    (
        REPO_SCHEMA,
        "a merged document violates one of the repository's own schemas/",
    ),
    (
        MCP_NO_TRANSPORT,
        "an MCP server has none of command, url, deploy",
    ),
    (
        MCP_TRANSPORT_CONFLICT,
        "an MCP server has both command and url",
    ),
    (
        PORT_CLASH,
        "two deployed MCP servers of one environment use the same port",
    ),
    (
        IMAGE_REFERENCE,
        "a deploy image is not a valid OCI image reference",
    ),
    (
        IMAGE_UNPINNED,
        "a deploy image has no tag, or `latest`, and no digest",
    ),
    (
        SECRET_REFERENCE,
        "a ${secret:...} or ${env:...} reference is malformed, or ${scheme:...} names another scheme",
    ),
    (
        PLAINTEXT_SECRET,
        "a value looks like a plain-text credential",
    ),
];
