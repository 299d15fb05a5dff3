//! The cache's size cap: least recently used repositories are evicted after a fetch
//! grows the cache, never the one just fetched, never one whose lock is held (by a fetch in
//! any process: the lock is an OS file lock, taken here from a separate file handle exactly
//! as another process would).

use std::fs::{self, File};
use std::path::Path;
use std::time::Duration;

use claude_env_source::auth::Auth;
use claude_env_source::git::{ANONYMOUS, GitCache};
use claude_env_testkit::{GitHttpServer, HttpAuth, TempRepo};

const TIMEOUT: Duration = Duration::from_secs(30);

struct Served {
    repo: TempRepo,
    server: GitHttpServer,
}

impl Served {
    fn new(name: &str) -> Served {
        let repo = TempRepo::named(name);
        // Distinct content per repository, a few KiB each.
        repo.write("claude-env.yaml", "schemaVersion: 1\n");
        repo.write(
            "base/notes.md",
            &format!("# {name}\n{}\n", "x".repeat(4096)),
        );
        repo.commit(name);
        repo.push();
        let server = GitHttpServer::start(&repo.serve_root(), HttpAuth::None);
        Served { repo, server }
    }

    fn url(&self) -> String {
        self.server.url(&self.repo.remote_name())
    }
}

fn bytes(dir: &Path) -> u64 {
    fs::read_dir(dir)
        .unwrap()
        .map(|e| {
            let e = e.unwrap();
            if e.file_type().unwrap().is_dir() {
                bytes(&e.path())
            } else {
                e.metadata().unwrap().len()
            }
        })
        .sum()
}

fn cached(cache: &GitCache, s: &Served) -> bool {
    cache.repo_dir(&s.url()).unwrap().exists()
}

/// Holds the lock of `s`'s repository as a fetch in another process would.
fn hold_lock(cache: &GitCache, s: &Served) -> File {
    let repo = cache.repo_dir(&s.url()).unwrap();
    let lock = repo.with_extension("lock");
    let file = File::options().write(true).open(&lock).unwrap();
    file.lock().unwrap();
    file
}

#[test]
fn least_recently_used_repositories_go_first_and_held_ones_stay() {
    let [a, b, c, d] = ["a", "b", "c", "d"].map(Served::new);
    let dir = tempfile::tempdir().unwrap();
    let unlimited = GitCache::new(dir.path()).unwrap();
    let fetch = |cache: &GitCache, s: &Served| {
        cache
            .fetch_as(&s.url(), ANONYMOUS, "main", &Auth::None, TIMEOUT)
            .unwrap()
    };
    fetch(&unlimited, &a);
    fetch(&unlimited, &b);
    let one = bytes(&unlimited.repo_dir(&a.url()).unwrap());
    // Room for about two and a half repositories.
    let cache = unlimited.with_max_bytes(Some(one * 5 / 2));
    // Reading `a` makes `b` the least recently used.
    cache.open_as(&a.url(), ANONYMOUS).unwrap();

    let fetched = fetch(&cache, &c);
    let eviction = fetched.eviction.expect("a fetch that downloaded evicts");
    assert_eq!(eviction.evicted, vec![cache.repo_dir(&b.url()).unwrap()]);
    assert!(eviction.kept_bytes <= one * 5 / 2, "{eviction:?}");
    assert!(cached(&cache, &a) && !cached(&cache, &b) && cached(&cache, &c));

    // `a` is now the least recently used, but a fetch of it is running elsewhere.
    let held = hold_lock(&cache, &a);
    let fetched = fetch(&cache, &d);
    let eviction = fetched.eviction.unwrap();
    assert_eq!(eviction.evicted, vec![cache.repo_dir(&c.url()).unwrap()]);
    assert_eq!(eviction.skipped, 1, "{eviction:?}");
    assert!(cached(&cache, &a) && !cached(&cache, &c) && cached(&cache, &d));
    drop(held);

    // An evicted repository is simply fetched again.
    let again = fetch(&cache, &b);
    assert_eq!(again.revision, b.repo.head());
    assert!(cached(&cache, &b));
}

#[test]
fn a_repository_larger_than_the_cap_is_kept_after_its_own_fetch() {
    let a = Served::new("big");
    let dir = tempfile::tempdir().unwrap();
    let cache = GitCache::new(dir.path()).unwrap().with_max_bytes(Some(1));
    let fetched = cache
        .fetch_as(&a.url(), ANONYMOUS, "main", &Auth::None, TIMEOUT)
        .unwrap();
    let eviction = fetched.eviction.unwrap();
    assert!(eviction.evicted.is_empty());
    assert_eq!(eviction.skipped, 1);
    assert!(cached(&cache, &a));
    // An explicit pass (nothing held) removes it: the cap is the operator's word.
    let eviction = cache.evict().unwrap();
    assert_eq!(eviction.evicted.len(), 1);
    assert!(!cached(&cache, &a));
    assert_eq!(eviction.kept_bytes, 0);
}

#[test]
fn without_a_cap_nothing_is_evicted() {
    let a = Served::new("free");
    let dir = tempfile::tempdir().unwrap();
    let cache = GitCache::new(dir.path()).unwrap();
    let fetched = cache
        .fetch_as(&a.url(), ANONYMOUS, "main", &Auth::None, TIMEOUT)
        .unwrap();
    assert_eq!(fetched.eviction, None);
    assert_eq!(cache.evict().unwrap().evicted.len(), 0);
    assert!(cached(&cache, &a));
}
