//! A working repository with a bare "remote" next to it, driven through git2 so no user
//! configuration (name, email, signing) of the machine leaks in.

use std::fs;
use std::path::{Path, PathBuf};

use git2::{IndexAddOption, Oid, Repository, Signature};
use tempfile::TempDir;

/// `<tmp>/work` (a normal repository on branch `main`) and `<tmp>/srv/<name>.git` (its bare
/// remote `origin`, what the Git servers serve). Deleted on drop.
pub struct TempRepo {
    dir: TempDir,
    name: String,
    work: Repository,
}

impl TempRepo {
    /// A repository whose remote is `srv/config.git`.
    pub fn new() -> TempRepo {
        TempRepo::named("config")
    }

    /// A repository whose remote is `srv/<name>.git`.
    pub fn named(name: &str) -> TempRepo {
        let dir = tempfile::tempdir().expect("tempdir");
        let bare = dir.path().join("srv").join(format!("{name}.git"));
        Repository::init_bare(&bare).expect("init bare remote");
        let mut opts = git2::RepositoryInitOptions::new();
        opts.initial_head("main");
        let work = Repository::init_opts(dir.path().join("work"), &opts).expect("init work");
        work.remote("origin", bare.to_str().expect("utf-8 path"))
            .expect("add origin");
        TempRepo {
            dir,
            name: name.to_owned(),
            work,
        }
    }

    /// The working tree.
    pub fn work_dir(&self) -> PathBuf {
        self.dir.path().join("work")
    }

    /// The directory holding the bare remote: the base path / project root for servers.
    pub fn serve_root(&self) -> PathBuf {
        self.dir.path().join("srv")
    }

    /// The bare remote's path relative to [`serve_root`](Self::serve_root): `<name>.git`.
    pub fn remote_name(&self) -> String {
        format!("{}.git", self.name)
    }

    /// The bare remote's absolute path.
    pub fn remote_dir(&self) -> PathBuf {
        self.serve_root().join(self.remote_name())
    }

    /// `file://` URL of the bare remote.
    pub fn file_url(&self) -> String {
        format!("file://{}", self.remote_dir().display())
    }

    /// Writes a file (creating directories) in the working tree.
    pub fn write(&self, path: &str, contents: &str) -> &Self {
        let full = self.work_dir().join(path);
        fs::create_dir_all(full.parent().expect("parent")).expect("mkdir");
        fs::write(full, contents).expect("write");
        self
    }

    /// Removes a file or directory from the working tree.
    pub fn remove(&self, path: &str) -> &Self {
        let full = self.work_dir().join(path);
        if full.is_dir() {
            fs::remove_dir_all(full).expect("rm -r");
        } else {
            fs::remove_file(full).expect("rm");
        }
        self
    }

    /// Copies a directory tree (e.g. `config-repo-example/`) into the working tree.
    pub fn copy_tree(&self, src: &Path) -> &Self {
        copy_dir(src, &self.work_dir());
        self
    }

    /// Stages everything (additions, changes, deletions) and commits on the current branch.
    /// Returns the commit SHA.
    pub fn commit(&self, message: &str) -> String {
        self.commit_with(message, None::<fn(&str) -> String>)
    }

    /// Like [`commit`](Self::commit), signing the commit as git does: `sign` gets the commit
    /// buffer and returns an armored signature (see [`crate::SshKeyPair::sign`],
    /// [`crate::GpgKey::sign`]), stored in the `gpgsig` header.
    pub fn commit_signed(&self, message: &str, sign: impl FnOnce(&str) -> String) -> String {
        self.commit_with(message, Some(sign))
    }

    fn commit_with(&self, message: &str, sign: Option<impl FnOnce(&str) -> String>) -> String {
        let mut index = self.work.index().expect("index");
        index
            .add_all(["*"], IndexAddOption::DEFAULT, None)
            .expect("add");
        index.update_all(["*"], None).expect("update");
        index.write().expect("write index");
        let tree = self
            .work
            .find_tree(index.write_tree().expect("tree"))
            .expect("find tree");
        let author = Signature::now("Test Author", "author@example.com").expect("signature");
        let parent = self.work.head().ok().and_then(|h| h.peel_to_commit().ok());
        let parents: Vec<_> = parent.iter().collect();
        let oid = match sign {
            None => self
                .work
                .commit(Some("HEAD"), &author, &author, message, &tree, &parents)
                .expect("commit"),
            Some(sign) => {
                let buffer = self
                    .work
                    .commit_create_buffer(&author, &author, message, &tree, &parents)
                    .expect("commit buffer");
                let content = buffer.as_str().expect("utf-8 commit");
                let signature = sign(content);
                let oid = self
                    .work
                    .commit_signed(content, &signature, Some("gpgsig"))
                    .expect("signed commit");
                self.move_head(oid);
                oid
            }
        };
        oid.to_string()
    }

    fn move_head(&self, oid: Oid) {
        let head = self.work.find_reference("HEAD").expect("HEAD");
        let target = head
            .symbolic_target()
            .ok()
            .flatten()
            .expect("symbolic HEAD")
            .to_owned();
        self.work
            .reference(&target, oid, true, "signed commit")
            .expect("move branch");
    }

    /// Force-pushes the current branch to the remote.
    pub fn push(&self) -> &Self {
        let branch = self.current_branch();
        self.push_branch(&branch)
    }

    /// Force-pushes `branch` to the remote.
    pub fn push_branch(&self, branch: &str) -> &Self {
        let mut remote = self.work.find_remote("origin").expect("origin");
        let spec = format!("+refs/heads/{branch}:refs/heads/{branch}");
        remote.push(&[&spec], None).expect("push");
        self
    }

    /// Deletes `branch` on the remote.
    pub fn delete_remote_branch(&self, branch: &str) -> &Self {
        let mut remote = self.work.find_remote("origin").expect("origin");
        remote
            .push(&[&format!(":refs/heads/{branch}")], None)
            .expect("push delete");
        self
    }

    /// The current commit SHA.
    pub fn head(&self) -> String {
        self.work
            .head()
            .and_then(|h| h.peel_to_commit())
            .expect("HEAD commit")
            .id()
            .to_string()
    }

    /// The current branch name.
    pub fn current_branch(&self) -> String {
        let head = self.work.find_reference("HEAD").expect("HEAD");
        head.symbolic_target()
            .ok()
            .flatten()
            .and_then(|t| t.strip_prefix("refs/heads/"))
            .expect("on a branch")
            .to_owned()
    }

    /// Creates `name` at HEAD and switches to it.
    pub fn create_branch(&self, name: &str) -> &Self {
        let head = self
            .work
            .head()
            .and_then(|h| h.peel_to_commit())
            .expect("HEAD");
        self.work.branch(name, &head, false).expect("branch");
        self.checkout(name)
    }

    /// Switches to an existing branch, updating the working tree.
    pub fn checkout(&self, name: &str) -> &Self {
        let refname = format!("refs/heads/{name}");
        let target = self.work.revparse_single(&refname).expect("branch exists");
        self.work
            .checkout_tree(&target, Some(git2::build::CheckoutBuilder::new().force()))
            .expect("checkout");
        self.work.set_head(&refname).expect("set HEAD");
        self
    }

    /// The working repository, for anything the helpers do not cover.
    pub fn repository(&self) -> &Repository {
        &self.work
    }
}

impl Default for TempRepo {
    fn default() -> Self {
        TempRepo::new()
    }
}

fn copy_dir(src: &Path, dst: &Path) {
    fs::create_dir_all(dst).expect("mkdir");
    for entry in fs::read_dir(src).expect("read_dir") {
        let entry = entry.expect("entry");
        let to = dst.join(entry.file_name());
        if entry.file_type().expect("file type").is_dir() {
            copy_dir(&entry.path(), &to);
        } else {
            fs::copy(entry.path(), to).expect("copy");
        }
    }
}
