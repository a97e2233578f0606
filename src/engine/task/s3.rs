//! `--s3-dir DIR`: a Distributed Map's `ItemReader` (`s3:getObject`,
//! `s3:listObjectsV2`) served from a local folder laid out as
//! `DIR/<Bucket>/<Key>`.
//!
//! Bucket and Key come from the definition and, through paths, from the
//! execution input: nothing outside DIR may be read or listed. A key is
//! resolved (symbolic links included) and must stay inside DIR; otherwise the
//! reader fails as S3 answers a request it refuses (`AccessDenied`). A missing
//! object is S3's `NoSuchKey`. Reads and listings are bounded.

use super::{TaskOutcome, TaskRequest, TaskRunner};
use crate::asl::value::Val;
use std::io::Read;
use std::path::PathBuf;

/// The largest object `s3:getObject` reads (the whole object is held in memory).
pub const MAX_OBJECT_BYTES: u64 = 256 * 1024 * 1024;
/// The most directory entries one `s3:listObjectsV2` looks at.
pub const MAX_LISTED_ENTRIES: usize = 1_000_000;

/// Serves ItemReaders from `root`; every other task goes to `inner`.
pub struct LocalS3 {
    pub root: PathBuf,
    pub inner: Box<dyn TaskRunner>,
}

/// How S3 answers a request it cannot serve.
enum S3Error {
    NoSuchBucket(String),
    NoSuchKey(String),
    AccessDenied(String),
    InvalidBucketName(String),
    /// Not an S3 error: a limit or a local failure of asldbg's own.
    Local(String),
}

impl S3Error {
    fn outcome(self) -> TaskOutcome {
        let cause = match self {
            S3Error::NoSuchBucket(d) => format!(
                "The specified bucket does not exist (Service: S3, Status Code: 404, Error Code: NoSuchBucket) [{d}]"
            ),
            S3Error::NoSuchKey(d) => format!(
                "The specified key does not exist. (Service: S3, Status Code: 404, Error Code: NoSuchKey) [{d}]"
            ),
            S3Error::AccessDenied(d) => format!(
                "Access Denied (Service: S3, Status Code: 403, Error Code: AccessDenied) [{d}]"
            ),
            S3Error::InvalidBucketName(d) => format!(
                "The specified bucket is not valid. (Service: S3, Status Code: 400, Error Code: InvalidBucketName) [{d}]"
            ),
            S3Error::Local(d) => d,
        };
        TaskOutcome::failed("States.ItemReaderFailed", cause)
    }
}

fn is_item_reader(resource: &str, action: &str) -> bool {
    resource
        .strip_suffix(action)
        .is_some_and(|r| r.starts_with("arn:") && r.ends_with(":states:::s3:"))
}

impl LocalS3 {
    /// The folder of `bucket`, resolved, with the resolved root.
    fn bucket_dir(&self, bucket: &str) -> Result<(PathBuf, PathBuf), S3Error> {
        let root = self
            .root
            .canonicalize()
            .map_err(|e| S3Error::Local(format!("--s3-dir {}: {e}", self.root.display())))?;
        let valid = !bucket.is_empty()
            && bucket.len() <= 255
            && !bucket.chars().all(|c| c == '.')
            && bucket
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_'));
        if !valid {
            return Err(S3Error::InvalidBucketName(format!("bucket {bucket:?}")));
        }
        let dir = match root.join(bucket).canonicalize() {
            Ok(d) => d,
            Err(_) => {
                return Err(S3Error::NoSuchBucket(format!(
                    "no folder {bucket} in --s3-dir {}",
                    self.root.display()
                )))
            }
        };
        if !dir.starts_with(&root) || !dir.is_dir() {
            return Err(S3Error::AccessDenied(format!(
                "bucket {bucket} leads outside --s3-dir"
            )));
        }
        Ok((root, dir))
    }

    fn get_object(&self, bucket: &str, key: &str) -> Result<Val, S3Error> {
        let (root, dir) = self.bucket_dir(bucket)?;
        let outside = || S3Error::AccessDenied(format!("key {key:?} leads outside --s3-dir"));
        if key.is_empty()
            || key.starts_with('/')
            || key.contains('\0')
            || key.split('/').any(|c| c == ".." || c == ".")
        {
            return Err(outside());
        }
        let shown = || format!("{bucket}/{key} in --s3-dir {}", self.root.display());
        let path = match dir.join(key).canonicalize() {
            Ok(p) => p,
            Err(_) => return Err(S3Error::NoSuchKey(shown())),
        };
        if !path.starts_with(&root) {
            return Err(outside());
        }
        let meta = std::fs::metadata(&path).map_err(|_| S3Error::NoSuchKey(shown()))?;
        if !meta.is_file() {
            // A folder is a prefix, not an object; a device or a pipe is
            // nothing S3 could hold (and reading one could block forever).
            return Err(S3Error::NoSuchKey(shown()));
        }
        if meta.len() > MAX_OBJECT_BYTES {
            return Err(S3Error::Local(format!(
                "{}: {} bytes is more than the {} MiB asldbg reads for an ItemReader",
                shown(),
                meta.len(),
                MAX_OBJECT_BYTES >> 20
            )));
        }
        let mut text = String::new();
        std::fs::File::open(&path)
            .and_then(|f| f.take(MAX_OBJECT_BYTES).read_to_string(&mut text))
            .map_err(|e| S3Error::Local(format!("{}: {e}", shown())))?;
        Ok(Val::str(text))
    }

    fn list_objects(&self, bucket: &str, prefix: &str) -> Result<Val, S3Error> {
        let (root, dir) = self.bucket_dir(bucket)?;
        let mut keys: Vec<(String, u64)> = Vec::new();
        let mut seen_dirs = std::collections::HashSet::new();
        seen_dirs.insert(dir.clone());
        // (resolved folder, its key prefix)
        let mut todo: Vec<(PathBuf, String)> = vec![(dir, String::new())];
        let mut entries = 0usize;
        // Only folders whose keys could start with the prefix are walked.
        let wanted = |rel: &str| rel.starts_with(prefix) || prefix.starts_with(rel);
        while let Some((folder, rel)) = todo.pop() {
            let Ok(rd) = std::fs::read_dir(&folder) else {
                continue;
            };
            for e in rd.flatten() {
                entries += 1;
                if entries > MAX_LISTED_ENTRIES {
                    return Err(S3Error::Local(format!(
                        "bucket {bucket} in --s3-dir has more than {MAX_LISTED_ENTRIES} entries under prefix {prefix:?}"
                    )));
                }
                let Some(name) = e.file_name().to_str().map(str::to_string) else {
                    continue;
                };
                let key = format!("{rel}{name}");
                let Ok(ft) = e.file_type() else { continue };
                let target = if ft.is_symlink() {
                    match e.path().canonicalize() {
                        Ok(t) if t.starts_with(&root) => t,
                        _ => continue, // outside DIR or dangling: not served
                    }
                } else {
                    e.path()
                };
                let Ok(meta) = std::fs::metadata(&target) else {
                    continue;
                };
                if meta.is_dir() {
                    let sub = format!("{key}/");
                    let resolved = target.canonicalize().unwrap_or(target);
                    if wanted(&sub) && seen_dirs.insert(resolved.clone()) {
                        todo.push((resolved, sub));
                    }
                } else if meta.is_file() && key.starts_with(prefix) {
                    keys.push((key, meta.len()));
                }
            }
        }
        keys.sort();
        Ok(Val::arr(
            keys.into_iter()
                .map(|(k, size)| Val::object([("Key", Val::from(k)), ("Size", Val::from(size))]))
                .collect(),
        ))
    }
}

impl TaskRunner for LocalS3 {
    fn snapshot(&self) -> Option<Box<dyn TaskRunner>> {
        Some(Box::new(LocalS3 {
            root: self.root.clone(),
            inner: self.inner.snapshot()?,
        }))
    }

    fn hold(&mut self, on: bool) {
        self.inner.hold(on);
    }

    fn invoke(&mut self, req: &TaskRequest) -> TaskOutcome {
        let get = |k: &str| req.input.get(k).and_then(|v| v.as_str()).unwrap_or("");
        let answer = if is_item_reader(req.resource, "getObject") {
            self.get_object(get("Bucket"), get("Key"))
        } else if is_item_reader(req.resource, "listObjectsV2") {
            self.list_objects(get("Bucket"), get("Prefix"))
        } else {
            return self.inner.invoke(req);
        };
        match answer {
            Ok(v) => TaskOutcome::Succeeded(v),
            Err(e) => e.outcome(),
        }
    }

    fn knows(&self, req: &TaskRequest) -> bool {
        is_item_reader(req.resource, "getObject")
            || is_item_reader(req.resource, "listObjectsV2")
            || self.inner.knows(req)
    }
}

#[cfg(test)]
mod tests {
    use super::super::NoRunner;
    use super::*;
    use serde_json::json;

    struct Tree(PathBuf);
    impl Drop for Tree {
        fn drop(&mut self) {
            std::fs::remove_dir_all(&self.0).ok();
        }
    }

    /// `base/outside/secret.txt` and `base/s3/b/data/items.csv`, with the
    /// S3 root at `base/s3`.
    fn tree(name: &str) -> (Tree, LocalS3) {
        let base = std::env::temp_dir().join(format!("asldbg-s3-{name}-{}", std::process::id()));
        std::fs::create_dir_all(base.join("s3/b/data")).unwrap();
        std::fs::create_dir_all(base.join("outside")).unwrap();
        std::fs::write(base.join("outside/secret.txt"), "secret").unwrap();
        std::fs::write(base.join("s3/b/data/items.csv"), "a,b\n1,2\n").unwrap();
        let r = LocalS3 {
            root: base.join("s3"),
            inner: Box::new(NoRunner),
        };
        (Tree(base), r)
    }

    fn call(r: &mut LocalS3, action: &str, params: serde_json::Value) -> TaskOutcome {
        let input = Val::from(params);
        let resource = format!("arn:aws:states:::s3:{action}");
        r.invoke(&TaskRequest {
            state: "M",
            resource: &resource,
            input: &input,
            invocation: 0,
            task_token: None,
            timeout_seconds: None,
            heartbeat_seconds: None,
        })
    }

    fn cause(o: &TaskOutcome) -> String {
        match o {
            TaskOutcome::Failed {
                error: Some(e),
                cause: Some(c),
            } if e == "States.ItemReaderFailed" => c.clone(),
            other => panic!("expected States.ItemReaderFailed, got {other:?}"),
        }
    }

    #[test]
    fn objects_and_listings_come_from_bucket_folders() {
        let (_t, mut r) = tree("read");
        let got = call(
            &mut r,
            "getObject",
            json!({"Bucket": "b", "Key": "data/items.csv"}),
        );
        assert_eq!(got, TaskOutcome::Succeeded(Val::from("a,b\n1,2\n")));
        let list = call(
            &mut r,
            "listObjectsV2",
            json!({"Bucket": "b", "Prefix": "data/"}),
        );
        assert_eq!(
            list,
            TaskOutcome::Succeeded(Val::from(json!([{"Key": "data/items.csv", "Size": 8}])))
        );
        let missing = call(&mut r, "getObject", json!({"Bucket": "b", "Key": "nope"}));
        assert!(cause(&missing).contains("NoSuchKey"));
        let folder = call(&mut r, "getObject", json!({"Bucket": "b", "Key": "data"}));
        assert!(cause(&folder).contains("NoSuchKey"));
        let bucket = call(&mut r, "getObject", json!({"Bucket": "zz", "Key": "x"}));
        assert!(cause(&bucket).contains("NoSuchBucket"));
    }

    #[test]
    fn keys_and_buckets_cannot_reach_outside_the_folder() {
        let (t, mut r) = tree("escape");
        let secret = t.0.join("outside/secret.txt");
        for (bucket, key) in [
            ("b", "../../outside/secret.txt"),
            ("b", "data/../../../outside/secret.txt"),
            ("b", secret.to_str().unwrap()),
            ("..", "outside/secret.txt"),
            ("../outside", "secret.txt"),
            ("/", "etc/passwd"),
            ("b", "./data/items.csv"),
        ] {
            let o = call(&mut r, "getObject", json!({"Bucket": bucket, "Key": key}));
            let c = cause(&o);
            assert!(
                c.contains("AccessDenied") || c.contains("InvalidBucketName"),
                "{bucket} {key}: {c}"
            );
            assert!(!c.contains("secret\""), "{c}");
        }
        for bucket in ["..", "../..", "/", "b/../.."] {
            let o = call(&mut r, "listObjectsV2", json!({"Bucket": bucket}));
            assert!(cause(&o).contains("InvalidBucketName"), "{bucket}");
        }
    }

    #[cfg(unix)]
    #[test]
    fn symbolic_links_are_followed_only_inside_the_folder() {
        use std::os::unix::fs::symlink;
        let (t, mut r) = tree("links");
        let s3 = t.0.join("s3");
        symlink(t.0.join("outside/secret.txt"), s3.join("b/leak.txt")).unwrap();
        symlink(t.0.join("outside"), s3.join("b/leakdir")).unwrap();
        symlink(t.0.join("outside"), s3.join("evil")).unwrap();
        symlink(s3.join("b/data/items.csv"), s3.join("b/alias.csv")).unwrap();
        // a loop: b/data/again -> b
        symlink(s3.join("b"), s3.join("b/data/again")).unwrap();
        for (bucket, key) in [
            ("b", "leak.txt"),
            ("b", "leakdir/secret.txt"),
            ("evil", "secret.txt"),
        ] {
            let o = call(&mut r, "getObject", json!({"Bucket": bucket, "Key": key}));
            assert!(cause(&o).contains("AccessDenied"), "{bucket}/{key}");
        }
        assert_eq!(
            call(
                &mut r,
                "getObject",
                json!({"Bucket": "b", "Key": "alias.csv"})
            ),
            TaskOutcome::Succeeded(Val::from("a,b\n1,2\n"))
        );
        // The listing leaves out what leads outside and does not go round the loop.
        let TaskOutcome::Succeeded(list) = call(&mut r, "listObjectsV2", json!({"Bucket": "b"}))
        else {
            panic!("listing failed")
        };
        assert_eq!(
            list.to_json(),
            json!([{"Key": "alias.csv", "Size": 8}, {"Key": "data/items.csv", "Size": 8}])
        );
    }

    #[test]
    fn other_tasks_go_to_the_inner_runner() {
        let (_t, r) = tree("inner");
        let input = Val::from(json!({"Bucket": "b", "Key": "data/items.csv"}));
        let req = TaskRequest {
            state: "T",
            resource: "arn:aws:states:::aws-sdk:s3:getObject",
            input: &input,
            invocation: 0,
            task_token: None,
            timeout_seconds: None,
            heartbeat_seconds: None,
        };
        assert!(!r.knows(&req));
    }
}
