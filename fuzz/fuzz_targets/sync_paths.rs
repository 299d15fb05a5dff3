//! The workstation sync's on-disk files, as a damaged or hostile target directory would
//! hold them: `state.json`, a transaction `journal.json` left by an interrupted sync, and a
//! backup `manifest.json`. The first input byte picks which. Property: no panic, and nothing
//! read from them makes the sync touch a path outside the target directory (every path
//! that parses is a safe target-relative path; recovering a journal only touches paths
//! below the target).
#![no_main]

use std::cell::RefCell;
use std::io;
use std::path::{Component, Path, PathBuf};

use claude_env_fuzz::sync::backup::Manifest;
use claude_env_fuzz::sync::fs::{Fs, Kind};
use claude_env_fuzz::sync::{journal, state};
use libfuzzer_sys::fuzz_target;

const ROOT: &str = "/nonexistent-claude-env-fuzz/target";

/// Every path exists as a file and every operation succeeds; the paths are recorded.
#[derive(Default)]
struct RecordingFs {
    touched: RefCell<Vec<PathBuf>>,
}

impl RecordingFs {
    fn touch(&self, p: &Path) {
        self.touched.borrow_mut().push(p.to_path_buf());
    }
}

impl Fs for RecordingFs {
    fn kind(&self, path: &Path) -> io::Result<Option<Kind>> {
        self.touch(path);
        Ok(Some(Kind::File))
    }
    fn read(&self, path: &Path) -> io::Result<Option<Vec<u8>>> {
        self.touch(path);
        Ok(Some(Vec::new()))
    }
    fn write_synced(&self, path: &Path, _: &[u8], _: Option<&Path>) -> io::Result<()> {
        self.touch(path);
        Ok(())
    }
    fn rename(&self, from: &Path, to: &Path) -> io::Result<()> {
        self.touch(from);
        self.touch(to);
        Ok(())
    }
    fn remove_file(&self, path: &Path) -> io::Result<()> {
        self.touch(path);
        Ok(())
    }
    fn create_dir(&self, path: &Path) -> io::Result<()> {
        self.touch(path);
        Ok(())
    }
    fn remove_dir(&self, path: &Path) -> io::Result<()> {
        self.touch(path);
        Ok(())
    }
    fn sync_dir(&self, path: &Path) -> io::Result<()> {
        self.touch(path);
        Ok(())
    }
}

/// Below `root`, lexically: no `..`, no second root.
fn inside(root: &Path, p: &Path) -> bool {
    p.strip_prefix(root)
        .is_ok_and(|rel| rel.components().all(|c| matches!(c, Component::Normal(_))))
}

/// The journal, served from memory at its path; everything else as [`RecordingFs`].
struct JournalFs {
    journal: Vec<u8>,
    inner: RecordingFs,
}

impl Fs for JournalFs {
    fn kind(&self, path: &Path) -> io::Result<Option<Kind>> {
        self.inner.kind(path)
    }
    fn read(&self, path: &Path) -> io::Result<Option<Vec<u8>>> {
        if path.ends_with(state::JOURNAL) {
            return Ok(Some(self.journal.clone()));
        }
        self.inner.read(path)
    }
    fn write_synced(&self, path: &Path, b: &[u8], like: Option<&Path>) -> io::Result<()> {
        self.inner.write_synced(path, b, like)
    }
    fn rename(&self, from: &Path, to: &Path) -> io::Result<()> {
        self.inner.rename(from, to)
    }
    fn remove_file(&self, path: &Path) -> io::Result<()> {
        self.inner.remove_file(path)
    }
    fn create_dir(&self, path: &Path) -> io::Result<()> {
        self.inner.create_dir(path)
    }
    fn remove_dir(&self, path: &Path) -> io::Result<()> {
        self.inner.remove_dir(path)
    }
    fn sync_dir(&self, path: &Path) -> io::Result<()> {
        self.inner.sync_dir(path)
    }
}

fuzz_target!(|data: &[u8]| {
    let Some((which, bytes)) = data.split_first() else {
        return;
    };
    let root = Path::new(ROOT);
    match which % 3 {
        0 => {
            if let Ok(s) = state::parse_state(Path::new("state.json"), bytes) {
                for p in s.files.keys() {
                    assert!(state::is_safe_path(p), "state.json accepted {p:?}");
                    assert!(inside(root, &state::join(root, p)), "{p:?}");
                }
            }
        }
        1 => {
            let fs = JournalFs {
                journal: bytes.to_vec(),
                inner: RecordingFs::default(),
            };
            let _ = journal::recover(&fs, root, state::JOURNAL);
            for p in fs.inner.touched.borrow().iter() {
                assert!(
                    inside(root, p),
                    "recovering the journal touched {}",
                    p.display()
                );
            }
        }
        _ => {
            if let Ok(m) = serde_json::from_slice::<Manifest>(bytes)
                && m.is_safe()
            {
                for p in m.files.keys() {
                    assert!(inside(root, &state::join(root, p)), "{p:?}");
                }
                let dir = state::join(root, &format!("{}/{}", state::BACKUPS, m.id));
                assert!(inside(root, &dir), "backup id {:?}", m.id);
            }
        }
    }
});
