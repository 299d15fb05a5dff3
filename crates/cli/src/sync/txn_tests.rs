use super::*;
use crate::sync::fs::{FaultyFs, Op, RealFs};
use crate::testing::{tree, write_tree};

const J: &str = ".claude-env/journal.json";

fn write(path: &str, content: &str, expect: Expect) -> Change {
    Change::Write {
        path: path.into(),
        bytes: content.as_bytes().to_vec(),
        expect,
    }
}

fn sha(s: &str) -> Expect {
    Expect::Sha256(sha256_hex(s.as_bytes()))
}

/// A target with managed and unmanaged content, and a change touching every case: replace,
/// create in an existing dir, create in new nested dirs, delete, delete of an absent file.
fn setup() -> (tempfile::TempDir, Vec<Change>) {
    let dir = tempfile::tempdir().expect("tempdir");
    write_tree(
        dir.path(),
        &[
            ("settings.json", "{\"old\":true}"),
            ("commands/old.md", "old command"),
            ("projects/x/notes", "not ours"),
        ],
    );
    let changes = vec![
        write("settings.json", "{\"new\":true}", sha("{\"old\":true}")),
        write("commands/new.md", "new command", Expect::Absent),
        write(".claude-env/backups/1/files/a", "backup", Expect::Absent),
        Change::Delete {
            path: "commands/old.md".into(),
            expect: sha("old command"),
        },
        Change::Delete {
            path: "gone.md".into(),
            expect: Expect::Anything,
        },
    ];
    (dir, changes)
}

#[test]
fn applies_every_change_and_leaves_nothing_else_behind() {
    let (dir, changes) = setup();
    let warnings = apply(&RealFs, dir.path(), J, &changes).expect("apply");
    assert!(warnings.is_empty());
    let got = tree(dir.path());
    let files: Vec<(&str, Option<&str>)> = got
        .iter()
        .map(|(k, v)| {
            (
                k.as_str(),
                v.as_deref().map(|b| std::str::from_utf8(b).unwrap()),
            )
        })
        .collect();
    assert_eq!(
        files,
        [
            (".claude-env", None),
            (".claude-env/backups", None),
            (".claude-env/backups/1", None),
            (".claude-env/backups/1/files", None),
            (".claude-env/backups/1/files/a", Some("backup")),
            ("commands", None),
            ("commands/new.md", Some("new command")),
            ("projects", None),
            ("projects/x", None),
            ("projects/x/notes", Some("not ours")),
            ("settings.json", Some("{\"new\":true}")),
        ]
    );
}

#[test]
fn a_file_changed_since_planning_aborts_before_anything_changes() {
    let (dir, mut changes) = setup();
    changes.push(write("projects/x/notes", "mine now", sha("something else")));
    let before = tree(dir.path());
    let err = apply(&RealFs, dir.path(), J, &changes).expect_err("must fail");
    assert!(
        matches!(err, TxnError::Changed { ref path } if path == "projects/x/notes"),
        "{err}"
    );
    assert_eq!(tree(dir.path()), before);
}

#[cfg(unix)]
#[test]
fn symlinks_are_refused_not_replaced() {
    let (dir, mut changes) = setup();
    std::os::unix::fs::symlink("projects/x/notes", dir.path().join("link.md")).expect("symlink");
    changes.push(write("link.md", "x", Expect::Anything));
    let before = tree(dir.path());
    let err = apply(&RealFs, dir.path(), J, &changes).expect_err("must fail");
    assert!(
        matches!(
            err,
            TxnError::NotAFile {
                kind: "symlink",
                ..
            }
        ),
        "{err}"
    );
    assert_eq!(tree(dir.path()), before);
}

#[cfg(unix)]
#[test]
fn replacing_a_file_keeps_its_permissions() {
    use std::os::unix::fs::PermissionsExt;
    let (dir, changes) = setup();
    let settings = dir.path().join("settings.json");
    std::fs::set_permissions(&settings, std::fs::Permissions::from_mode(0o600)).expect("chmod");
    apply(&RealFs, dir.path(), J, &changes).expect("apply");
    let mode = std::fs::metadata(&settings)
        .expect("stat")
        .permissions()
        .mode();
    assert_eq!(mode & 0o777, 0o600);
}

/// The heart of atomicity: whichever single operation fails, at whatever point, the tree is
/// byte-for-byte what it was.
#[test]
fn any_single_failure_leaves_the_tree_exactly_as_before() {
    let clean = FaultyFs::default();
    let (dir, changes) = setup();
    apply(&clean, dir.path(), J, &changes).expect("clean run");
    let mut tried = 0;
    // RemoveFile: only the first call (deleting the journal) can fail the change; later ones
    // are clean-up, see below.
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
        assert!(n > 0, "{op:?} is exercised");
        for k in 0..n {
            let (dir, changes) = setup();
            let before = tree(dir.path());
            let fs = FaultyFs::failing(op, k);
            let err = apply(&fs, dir.path(), J, &changes).expect_err("injected failure");
            assert!(
                !matches!(err, TxnError::UndoFailed { .. }),
                "{op:?}#{k}: {err}"
            );
            assert_eq!(tree(dir.path()), before, "{op:?} #{k} of {n}: {err}");
            tried += 1;
        }
    }
    assert!(tried >= 10, "only {tried} failure points");
}

#[test]
fn a_failure_while_cleaning_up_is_a_warning_after_a_complete_change() {
    let (dir, changes) = setup();
    let fs = FaultyFs::failing(Op::RemoveFile, 1);
    let warnings = apply(&fs, dir.path(), J, &changes).expect("committed");
    assert_eq!(warnings.len(), 1, "{warnings:?}");
    let settings = std::fs::read_to_string(dir.path().join("settings.json")).expect("read");
    assert_eq!(settings, "{\"new\":true}");
}

/// A process killed after any number of renames leaves a journal; recovering from it
/// restores the tree exactly, and recovering twice is harmless.
#[test]
fn a_crash_after_any_rename_is_undone_from_the_journal() {
    let (_, changes) = setup();
    for k in 0..=changes.len() {
        let (dir, changes) = setup();
        let before = tree(dir.path());
        apply_then_die_after(&RealFs, dir.path(), J, &changes, k).expect("dies quietly");
        assert!(dir.path().join(J).exists(), "journal left behind after {k}");
        let fs = RealFs;
        assert!(crate::sync::journal::recover(&fs, dir.path(), J).expect("recover"));
        assert_eq!(tree(dir.path()), before, "crash after {k} renames");
        assert!(!crate::sync::journal::recover(&fs, dir.path(), J).expect("again"));
    }
}

#[test]
fn a_committed_change_leaves_no_journal() {
    let (dir, changes) = setup();
    apply(&RealFs, dir.path(), J, &changes).expect("apply");
    assert!(!dir.path().join(J).exists());
}
