//! The sync engine end to end on real directories: first sync, upstream changes, local
//! edits, --force, rollback round trips, and failures injected at every point.

use std::collections::BTreeMap;
use std::path::Path;

use claude_env_cli::sync::SyncError;
use claude_env_cli::sync::engine::{self, Options, Outcome};
use claude_env_cli::sync::fs::{FaultyFs, Fs, Op, RealFs};
use claude_env_cli::sync::plan::{Action, Conflict};
use claude_env_cli::sync::state::{self, Operation, Origin};
use claude_env_cli::testing::{tree, write_tree};

fn files(pairs: &[(&str, &str)]) -> BTreeMap<String, Vec<u8>> {
    pairs
        .iter()
        .map(|(p, c)| (p.to_string(), c.as_bytes().to_vec()))
        .collect()
}

fn origin(rev: &str) -> Origin {
    Origin {
        repo: "file:///repo".into(),
        path: None,
        revision: Some(rev.into()),
        environment: "production".into(),
        team: Some("backend".into()),
        project: None,
        ..Origin::default()
    }
}

/// Revision A and revision B of the rendered files: B changes settings, drops one command
/// and adds another.
fn rev_a() -> BTreeMap<String, Vec<u8>> {
    files(&[
        ("settings.json", "{\"model\":\"a\"}\n"),
        ("CLAUDE.md", "# A\n"),
        ("commands/old.md", "old\n"),
    ])
}

fn rev_b() -> BTreeMap<String, Vec<u8>> {
    files(&[
        ("settings.json", "{\"model\":\"b\"}\n"),
        ("CLAUDE.md", "# A\n"),
        ("commands/new.md", "new\n"),
        ("agents/reviewer.md", "reviewer\n"),
    ])
}

/// What `~/.claude` holds besides us.
fn unmanaged(dir: &Path) {
    write_tree(
        dir,
        &[
            ("projects/p/session.jsonl", "{}\n"),
            (".credentials.json", "secret"),
            ("local-overrides.yaml", "settings: {model: mine}\n"),
        ],
    );
}

fn now(s: u64) -> jiff::Timestamp {
    jiff::Timestamp::from_second(1_800_000_000 + s as i64).expect("timestamp")
}

fn sync(
    fs: &dyn Fs,
    dir: &Path,
    want: &BTreeMap<String, Vec<u8>>,
    rev: &str,
    force: bool,
    t: u64,
) -> Result<Outcome, SyncError> {
    let opts = Options {
        force,
        dry_run: false,
    };
    engine::sync(fs, dir, want, &origin(rev), None, opts, now(t))
}

fn applied(o: Outcome) -> (claude_env_cli::sync::plan::Plan, String) {
    match o {
        Outcome::Applied {
            plan,
            backup,
            warnings,
        } => {
            assert!(warnings.is_empty(), "{warnings:?}");
            (plan, backup)
        }
        other => panic!("expected Applied, got {other:?}"),
    }
}

/// The target without our bookkeeping directory: what the user and Claude Code see.
fn visible(dir: &Path) -> BTreeMap<String, Option<Vec<u8>>> {
    tree(dir)
        .into_iter()
        .filter(|(p, _)| !p.starts_with(".claude-env"))
        .collect()
}

fn read(dir: &Path, p: &str) -> String {
    std::fs::read_to_string(dir.join(p)).expect("read")
}

#[test]
fn first_sync_writes_files_state_history_and_leaves_the_rest_alone() {
    let dir = tempfile::tempdir().expect("tempdir");
    unmanaged(dir.path());
    let (plan, backup) =
        applied(sync(&RealFs, dir.path(), &rev_a(), "aaaa", false, 0).expect("sync"));
    assert!(plan.steps.iter().all(|s| s.action == Action::Create));
    assert_eq!(read(dir.path(), "commands/old.md"), "old\n");
    assert_eq!(read(dir.path(), ".credentials.json"), "secret");
    assert_eq!(
        read(dir.path(), "local-overrides.yaml"),
        "settings: {model: mine}\n"
    );

    let st = state::load_state(dir.path()).expect("load").expect("state");
    assert_eq!(st.origin, origin("aaaa"));
    assert_eq!(st.files.len(), 3);
    assert_eq!(
        st.files["CLAUDE.md"].sha256,
        claude_env_cli::hash::sha256_hex(b"# A\n")
    );

    let history = state::load_history(dir.path()).expect("history");
    assert_eq!(history.len(), 1);
    assert_eq!(
        (
            history[0].action,
            history[0].created,
            history[0].backup.as_str()
        ),
        (Operation::Sync, 3, backup.as_str())
    );
    claude_env_cli::sync::lock::Lock::acquire(dir.path()).expect("lock released");
}

#[test]
fn syncing_the_same_thing_again_writes_nothing() {
    let dir = tempfile::tempdir().expect("tempdir");
    applied(sync(&RealFs, dir.path(), &rev_a(), "aaaa", false, 0).expect("sync"));
    let before = tree(dir.path());
    let o = sync(&RealFs, dir.path(), &rev_a(), "aaaa", false, 1).expect("sync");
    assert!(matches!(o, Outcome::UpToDate(_)), "{o:?}");
    assert_eq!(tree(dir.path()), before);
}

#[test]
fn upstream_changes_create_update_and_remove_managed_files_only() {
    let dir = tempfile::tempdir().expect("tempdir");
    unmanaged(dir.path());
    applied(sync(&RealFs, dir.path(), &rev_a(), "aaaa", false, 0).expect("sync"));
    let (plan, _) = applied(sync(&RealFs, dir.path(), &rev_b(), "bbbb", false, 1).expect("sync"));
    let actions: Vec<_> = plan
        .steps
        .iter()
        .map(|s| (s.path.as_str(), s.action))
        .collect();
    assert_eq!(
        actions,
        [
            ("CLAUDE.md", Action::Keep),
            ("agents/reviewer.md", Action::Create),
            ("commands/new.md", Action::Create),
            ("commands/old.md", Action::Remove),
            ("settings.json", Action::Update),
        ]
    );
    let mut expected: BTreeMap<_, _> = rev_b().into_iter().map(|(p, b)| (p, Some(b))).collect();
    for d in ["agents", "commands", "projects", "projects/p"] {
        expected.insert(d.into(), None);
    }
    for (p, c) in [
        ("projects/p/session.jsonl", "{}\n"),
        (".credentials.json", "secret"),
        ("local-overrides.yaml", "settings: {model: mine}\n"),
    ] {
        expected.insert(p.into(), Some(c.as_bytes().to_vec()));
    }
    assert_eq!(visible(dir.path()), expected);
}

#[test]
fn a_local_edit_blocks_the_sync_and_is_kept_and_force_overwrites_it_after_a_backup() {
    let dir = tempfile::tempdir().expect("tempdir");
    applied(sync(&RealFs, dir.path(), &rev_a(), "aaaa", false, 0).expect("sync"));
    std::fs::write(dir.path().join("CLAUDE.md"), "# my notes\n").expect("edit");
    let before = tree(dir.path());

    let o = sync(&RealFs, dir.path(), &rev_b(), "bbbb", false, 1).expect("sync");
    let Outcome::Blocked(plan) = o else {
        panic!("expected Blocked, got {o:?}")
    };
    assert_eq!(
        plan.conflicts,
        [("CLAUDE.md".to_string(), Conflict::ModifiedLocally)]
    );
    assert_eq!(tree(dir.path()), before, "nothing written");

    let (plan, backup) =
        applied(sync(&RealFs, dir.path(), &rev_b(), "bbbb", true, 2).expect("sync"));
    assert!(
        plan.steps
            .iter()
            .any(|s| s.path == "CLAUDE.md" && s.forced == Some(Conflict::ModifiedLocally))
    );
    assert_eq!(read(dir.path(), "CLAUDE.md"), "# A\n");
    let saved = dir
        .path()
        .join(".claude-env/backups")
        .join(&backup)
        .join("files/CLAUDE.md");
    assert_eq!(
        std::fs::read_to_string(saved).expect("backup"),
        "# my notes\n"
    );
    let history = state::load_history(dir.path()).expect("history");
    assert_eq!(history.last().expect("entry").forced, ["CLAUDE.md"]);
}

#[test]
fn an_existing_hand_written_file_is_not_overwritten_without_force() {
    let dir = tempfile::tempdir().expect("tempdir");
    write_tree(dir.path(), &[("settings.json", "{\"mine\":1}")]);
    let o = sync(&RealFs, dir.path(), &rev_a(), "aaaa", false, 0).expect("sync");
    let Outcome::Blocked(plan) = o else {
        panic!("expected Blocked, got {o:?}")
    };
    assert_eq!(
        plan.conflicts,
        [("settings.json".to_string(), Conflict::Unmanaged)]
    );
}

#[test]
fn dry_run_writes_nothing_not_even_the_target() {
    let parent = tempfile::tempdir().expect("tempdir");
    let dir = parent.path().join("claude");
    let opts = Options {
        force: false,
        dry_run: true,
    };
    let o =
        engine::sync(&RealFs, &dir, &rev_a(), &origin("aaaa"), None, opts, now(0)).expect("sync");
    assert!(
        matches!(o, Outcome::DryRun(ref p) if p.steps.len() == 3),
        "{o:?}"
    );
    assert!(!dir.exists());
}

#[test]
fn a_second_concurrent_command_is_refused() {
    let dir = tempfile::tempdir().expect("tempdir");
    let _held = claude_env_cli::sync::lock::Lock::acquire(dir.path()).expect("lock");
    let err = sync(&RealFs, dir.path(), &rev_a(), "aaaa", false, 0).expect_err("locked");
    assert!(matches!(err, SyncError::Locked { .. }), "{err}");
}

#[test]
fn rollback_restores_the_previous_state_byte_identically_and_can_be_undone() {
    let dir = tempfile::tempdir().expect("tempdir");
    unmanaged(dir.path());
    applied(sync(&RealFs, dir.path(), &rev_a(), "aaaa", false, 0).expect("sync"));
    let after_a = visible(dir.path());
    let state_a = read(dir.path(), state::STATE);
    applied(sync(&RealFs, dir.path(), &rev_b(), "bbbb", false, 1).expect("sync"));
    let after_b = visible(dir.path());
    let state_b = read(dir.path(), state::STATE);

    let (o, restored) =
        engine::rollback(&RealFs, dir.path(), None, Options::default(), now(2)).expect("rollback");
    applied(o);
    assert_eq!(restored.origin, Some(origin("aaaa")));
    assert_eq!(visible(dir.path()), after_a);
    assert_eq!(read(dir.path(), state::STATE), state_a);

    // Rolling back the rollback returns to B.
    let (o, _) =
        engine::rollback(&RealFs, dir.path(), None, Options::default(), now(3)).expect("rollback");
    applied(o);
    assert_eq!(visible(dir.path()), after_b);
    assert_eq!(read(dir.path(), state::STATE), state_b);

    let actions: Vec<_> = state::load_history(dir.path())
        .expect("history")
        .iter()
        .map(|h| h.action)
        .collect();
    assert_eq!(
        actions,
        [
            Operation::Sync,
            Operation::Sync,
            Operation::Rollback,
            Operation::Rollback
        ]
    );
}

#[test]
fn rollback_to_a_revision_or_to_before_the_first_sync() {
    let dir = tempfile::tempdir().expect("tempdir");
    unmanaged(dir.path());
    write_tree(dir.path(), &[("settings.json", "{\"mine\":1}")]);
    let pristine = tree(dir.path());
    applied(sync(&RealFs, dir.path(), &rev_a(), "aaaa1111", true, 0).expect("sync"));
    let after_a = visible(dir.path());
    applied(sync(&RealFs, dir.path(), &rev_b(), "bbbb2222", false, 1).expect("sync"));

    // --to <revision prefix>: the newest backup holding that revision (taken before B).
    let (o, m) = engine::rollback(
        &RealFs,
        dir.path(),
        Some("aaaa"),
        Options::default(),
        now(2),
    )
    .expect("rollback");
    applied(o);
    assert_eq!(
        m.origin.and_then(|o| o.revision).as_deref(),
        Some("aaaa1111")
    );
    assert_eq!(visible(dir.path()), after_a);

    // --to <backup id> of the very first backup: the hand-written settings.json is back,
    // and the target is as if claude-env had never been there (bar its history).
    let first = claude_env_cli::sync::backup::list(dir.path()).remove(0);
    assert_eq!(first.origin, None);
    let (o, _) = engine::rollback(
        &RealFs,
        dir.path(),
        Some(&first.id),
        Options::default(),
        now(3),
    )
    .expect("rollback");
    applied(o);
    let mut now_tree = tree(dir.path());
    now_tree.retain(|p, _| !p.starts_with(".claude-env"));
    let mut expected = pristine;
    expected.retain(|p, _| !p.starts_with(".claude-env"));
    assert_eq!(now_tree, expected);
    assert!(state::load_state(dir.path()).expect("load").is_none());
}

#[test]
fn rollback_refuses_to_drop_local_edits_without_force() {
    let dir = tempfile::tempdir().expect("tempdir");
    applied(sync(&RealFs, dir.path(), &rev_a(), "aaaa", false, 0).expect("sync"));
    applied(sync(&RealFs, dir.path(), &rev_b(), "bbbb", false, 1).expect("sync"));
    std::fs::write(dir.path().join("settings.json"), "edited").expect("edit");
    let (o, _) =
        engine::rollback(&RealFs, dir.path(), None, Options::default(), now(2)).expect("rollback");
    assert!(matches!(o, Outcome::Blocked(_)), "{o:?}");
    assert_eq!(read(dir.path(), "settings.json"), "edited");
    let force = Options {
        force: true,
        dry_run: false,
    };
    applied(
        engine::rollback(&RealFs, dir.path(), None, force, now(3))
            .expect("rollback")
            .0,
    );
    assert_eq!(read(dir.path(), "settings.json"), "{\"model\":\"a\"}\n");
}

#[test]
fn rollback_with_nothing_synced_is_a_clear_error() {
    let dir = tempfile::tempdir().expect("tempdir");
    let err = engine::rollback(&RealFs, dir.path(), None, Options::default(), now(0))
        .expect_err("no backups");
    assert!(err.to_string().contains("no backups"), "{err}");
}

/// An operation on a target, run through a given file system.
type Run = dyn Fn(&dyn Fs, &Path) -> Result<(), SyncError>;

/// A sync from A to B (with a forced local edit, so every kind of step occurs) failing at
/// any single operation, and a rollback failing likewise, leave the whole target, our
/// bookkeeping included, byte-identical to before.
#[test]
fn a_failure_at_any_point_leaves_the_target_exactly_as_before() {
    let setup = || {
        let dir = tempfile::tempdir().expect("tempdir");
        unmanaged(dir.path());
        applied(sync(&RealFs, dir.path(), &rev_a(), "aaaa", false, 0).expect("sync"));
        std::fs::write(dir.path().join("CLAUDE.md"), "# mine\n").expect("edit");
        dir
    };
    let run_sync = |fs: &dyn Fs, dir: &Path| sync(fs, dir, &rev_b(), "bbbb", true, 1).map(|_| ());
    let run_rollback = |fs: &dyn Fs, dir: &Path| {
        let force = Options {
            force: true,
            dry_run: false,
        };
        engine::rollback(fs, dir, None, force, now(1)).map(|_| ())
    };
    let ops: [(&str, &Run); 2] = [("sync", &run_sync), ("rollback", &run_rollback)];
    for (name, run) in ops {
        let clean = FaultyFs::default();
        run(&clean, setup().path()).expect("clean run");
        // RemoveFile #0 deletes the journal (the commit point); later ones are clean-up.
        for op in [
            Op::Write,
            Op::Rename,
            Op::CreateDir,
            Op::SyncDir,
            Op::RemoveFile,
        ] {
            let n = if op == Op::RemoveFile {
                1
            } else {
                clean.calls(op)
            };
            for k in 0..n {
                let dir = setup();
                let before = tree(dir.path());
                let err = run(&FaultyFs::failing(op, k), dir.path()).expect_err("injected");
                assert!(
                    !matches!(
                        err,
                        SyncError::Txn(claude_env_cli::sync::txn::TxnError::UndoFailed { .. })
                    ),
                    "{err}"
                );
                assert_eq!(tree(dir.path()), before, "{name}: {op:?} #{k}: {err}");
            }
        }
        assert!(
            clean.calls(Op::Rename) >= 8,
            "{name}: {} renames",
            clean.calls(Op::Rename)
        );
    }
}

/// A sync killed mid-commit (its lock and journal left behind) is undone by the next
/// command, which then runs normally.
#[test]
fn an_interrupted_sync_is_undone_by_the_next_command() {
    use claude_env_cli::sync::txn::{self, Change, Expect};
    let dir = tempfile::tempdir().expect("tempdir");
    unmanaged(dir.path());
    applied(sync(&RealFs, dir.path(), &rev_a(), "aaaa", false, 0).expect("sync"));
    let after_a = tree(dir.path());

    let changes = [
        Change::Write {
            path: "settings.json".into(),
            bytes: b"half".to_vec(),
            expect: Expect::Anything,
        },
        Change::Write {
            path: "agents/new.md".into(),
            bytes: b"new".to_vec(),
            expect: Expect::Absent,
        },
        Change::Delete {
            path: "CLAUDE.md".into(),
            expect: Expect::Anything,
        },
    ];
    txn::apply_then_die_after(&RealFs, dir.path(), state::JOURNAL, &changes, 2).expect("killed");
    // The dead process's lock: a pid that cannot be running.
    std::fs::write(dir.path().join(state::LOCK), "4294967").expect("lock");
    assert!(state::interrupted(dir.path()));
    assert_eq!(read(dir.path(), "settings.json"), "half");

    let o = sync(&RealFs, dir.path(), &rev_a(), "aaaa", false, 1).expect("sync");
    assert!(matches!(o, Outcome::UpToDate(_)), "{o:?}");
    assert_eq!(tree(dir.path()), after_a);
}
