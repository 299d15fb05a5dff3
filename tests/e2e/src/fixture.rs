//! A config repository served over smart HTTP, and ClaudeEnvironments pointing at it.

use claude_env_api::ClaudeEnvironment;
use claude_env_testkit::{GitHttpServer, HttpAuth, TempRepo};
use serde_json::{Value, json};

use crate::cluster::repo_root;

/// `config-repo-example/` committed on `main` (and `develop`) and served over HTTP.
pub struct ConfigRepo {
    pub repo: TempRepo,
    pub server: GitHttpServer,
    pub url: String,
}

impl ConfigRepo {
    pub fn example() -> ConfigRepo {
        Self::example_with(HttpAuth::None)
    }

    pub fn example_with(auth: HttpAuth) -> ConfigRepo {
        let repo = TempRepo::named("claude-config");
        repo.copy_tree(&repo_root().join("config-repo-example"));
        repo.commit("config-repo-example");
        repo.push();
        repo.create_branch("develop")
            .push_branch("develop")
            .checkout("main");
        let server = GitHttpServer::start(&repo.serve_root(), auth);
        let url = server.url(&repo.remote_name());
        ConfigRepo { repo, server, url }
    }

    /// Write `contents` at `path`, commit, push `main`; returns the new SHA.
    pub fn change(&self, path: &str, contents: &str, message: &str) -> String {
        self.repo.write(path, contents);
        let sha = self.repo.commit(message);
        self.repo.push();
        sha
    }

    /// Remove `path`, commit, push `main`; returns the new SHA.
    pub fn delete(&self, path: &str, message: &str) -> String {
        self.repo.remove(path);
        let sha = self.repo.commit(message);
        self.repo.push();
        sha
    }

    pub fn head(&self) -> String {
        self.repo.head()
    }

    /// A file of the example as committed.
    pub fn read(&self, path: &str) -> String {
        std::fs::read_to_string(self.repo.work_dir().join(path)).expect("read repo file")
    }
}

/// A ClaudeEnvironment on `url`'s `main` branch; `extra` is merged into the spec.
pub fn environment(
    name: &str,
    url: &str,
    environment: &str,
    team: &str,
    extra: Value,
) -> ClaudeEnvironment {
    let mut spec = json!({
        "source": {"url": url, "branch": "main", "interval": "1m"},
        "environment": environment,
        "team": team,
    });
    merge(&mut spec, extra);
    serde_json::from_value(json!({
        "apiVersion": "claude-env.io/v1alpha1",
        "kind": "ClaudeEnvironment",
        "metadata": {"name": name},
        "spec": spec,
    }))
    .expect("a valid ClaudeEnvironment")
}

/// Deep-merge `patch` into `base` (objects merge, anything else replaces).
pub fn merge(base: &mut Value, patch: Value) {
    match (base, patch) {
        (Value::Object(b), Value::Object(p)) => {
            for (k, v) in p {
                merge(b.entry(k).or_insert(Value::Null), v);
            }
        }
        (b, p) => *b = p,
    }
}
