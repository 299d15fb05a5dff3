//! `--repo URL` through the shared Git cache: the remote's default branch, `--rev` as a tag
//! or a branch, `--branch` with `--rev`, and credentials from the user's git credential
//! helper over smart HTTP (what `Auth::Default` means on a workstation).

use std::path::Path;

use assert_cmd::Command;
use claude_env_testkit::{GitHttpServer, HttpAuth, TempRepo};
use predicates::str::contains;

fn claude_env(home: &Path) -> Command {
    let mut cmd = assert_cmd::cargo::cargo_bin_cmd!("claude-env");
    cmd.env_clear()
        .env("HOME", home)
        .env("XDG_CACHE_HOME", home.join("cache"))
        .env("PATH", std::env::var_os("PATH").unwrap_or_default());
    cmd
}

/// `main` with model `opus` (tagged `v1`), then `sonnet`; `develop` with `haiku`. The
/// remote's HEAD names `main`.
fn repository() -> (TempRepo, String) {
    let repo = TempRepo::new();
    let model = |m: &str| format!("settings:\n  model: {m}\n");
    repo.write(
        "claude-env.yaml",
        "schemaVersion: 1\nenvironments:\n  prod: {}\n",
    )
    .write("base/settings.yaml", &model("opus"));
    let v1 = repo.commit("v1");
    let git = repo.repository();
    let target = git
        .find_object(git2::Oid::from_str(&v1).unwrap(), None)
        .unwrap();
    git.tag_lightweight("v1", &target, false).unwrap();
    repo.write("base/settings.yaml", &model("sonnet"));
    repo.commit("v2");
    repo.push();
    repo.create_branch("develop");
    repo.write("base/settings.yaml", &model("haiku"));
    repo.commit("develop");
    repo.push();
    git.find_remote("origin")
        .unwrap()
        .push(&["refs/tags/v1:refs/tags/v1"], None)
        .unwrap();
    git2::Repository::open_bare(repo.remote_dir())
        .unwrap()
        .set_head("refs/heads/main")
        .unwrap();
    drop(target);
    (repo, v1)
}

fn model(home: &Path, url: &str, extra: &[&str]) -> String {
    let out = claude_env(home)
        .args(["render", "--env", "prod", "--explain", "--repo", url])
        .args(extra)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8(out.stdout).unwrap();
    let line = text
        .lines()
        .find(|l| l.starts_with("settings.model"))
        .expect("settings.model");
    line.split('"').nth(1).unwrap().to_string()
}

#[test]
fn branches_tags_and_revisions_of_a_url() {
    let (repo, v1) = repository();
    let home = tempfile::tempdir().unwrap();
    let url = repo.file_url();
    assert_eq!(
        model(home.path(), &url, &[]),
        "sonnet",
        "the default branch"
    );
    assert_eq!(model(home.path(), &url, &["--branch", "develop"]), "haiku");
    assert_eq!(model(home.path(), &url, &["--rev", "develop"]), "haiku");
    assert_eq!(model(home.path(), &url, &["--rev", "v1"]), "opus", "a tag");
    assert_eq!(model(home.path(), &url, &["--rev", &v1[..8]]), "opus");
    assert_eq!(model(home.path(), &url, &["--rev", "main~1"]), "opus");
    assert_eq!(
        model(
            home.path(),
            &url,
            &["--branch", "develop", "--rev", "develop~1"]
        ),
        "sonnet"
    );
    claude_env(home.path())
        .args(["validate", "--repo", &url, "--rev", "no-such-thing"])
        .assert()
        .code(2)
        .stderr(contains("revision \"no-such-thing\" not found"))
        .stderr(contains("pass --branch"));
}

#[test]
fn a_git_credential_helper_supplies_https_credentials() {
    let (repo, _) = repository();
    let server = GitHttpServer::start(
        &repo.serve_root(),
        HttpAuth::Basic {
            username: "alice".into(),
            password: "s3cret-passw0rd".into(),
        },
    );
    let url = server.url(&repo.remote_name());
    let home = tempfile::tempdir().unwrap();

    // No helper: a clear error, exit 2, and no password anywhere.
    claude_env(home.path())
        .args(["validate", "--repo", &url])
        .assert()
        .code(2)
        .stderr(contains("credential helper"));

    let store = home.path().join("git-credentials");
    std::fs::write(
        &store,
        format!("http://alice:s3cret-passw0rd@127.0.0.1:{}\n", server.port()),
    )
    .unwrap();
    std::fs::write(
        home.path().join(".gitconfig"),
        format!(
            "[credential]\n\thelper = store --file {}\n",
            store.display()
        ),
    )
    .unwrap();
    assert_eq!(model(home.path(), &url, &[]), "sonnet");
    let out = claude_env(home.path())
        .args(["validate", "--repo", &url])
        .output()
        .unwrap();
    let all = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(!all.contains("s3cret"), "{all}");
}
