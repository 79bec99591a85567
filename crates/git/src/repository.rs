//! Opening a repository, HEAD, branches and tags.

use std::path::{Path, PathBuf};

use gix::ObjectId;

/// A boxed error from gix.
pub(crate) type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// Errors of the git adapter.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("`{}` is not inside a git repository", path.display())]
    NotARepository {
        path: PathBuf,
        #[source]
        source: BoxError,
    },
    #[error("the repository has no commits yet")]
    NoCommits,
    #[error("failed to read HEAD")]
    Head(#[source] BoxError),
    #[error("failed to list tags")]
    ListTags(#[source] BoxError),
    #[error("failed to resolve tag `{name}`")]
    PeelTag {
        name: String,
        #[source]
        source: BoxError,
    },
    #[error("failed to read object `{id}`")]
    ReadObject {
        id: ObjectId,
        #[source]
        source: BoxError,
    },
    #[error("object `{id}` is missing from the repository")]
    MissingObject { id: ObjectId },
    #[error("object `{id}` is not a valid {kind}")]
    CorruptObject { id: ObjectId, kind: &'static str },
    #[error("a thread reading commit messages panicked")]
    ReaderPanicked,
    #[error("failed to read the list of shallow commits")]
    Shallow(#[source] BoxError),
}

/// git's own default for `core.deltaBaseCacheLimit`.
const DELTA_BASE_CACHE_LIMIT: &str = "16m";

/// An open git repository.
pub struct Repository {
    pub(crate) repo: gix::Repository,
}

/// A tag, peeled to the commit it names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tag {
    /// The short name: `v1.2.0`, not `refs/tags/v1.2.0`.
    pub name: String,
    /// The commit the tag points at (annotated tags peeled).
    pub commit: ObjectId,
}

impl Repository {
    /// Opens the repository that contains `directory`.
    pub fn discover(directory: impl AsRef<Path>) -> Result<Self, Error> {
        let directory = directory.as_ref();
        let mut repo = gix::discover(directory).map_err(|source| Error::NotARepository {
            path: directory.to_path_buf(),
            source: Box::new(source),
        })?;
        // Trees of consecutive commits are deltas of one another: without a memory-capped
        // delta-base cache, walking their trees inflates the same bases again and again. A
        // limit the repository sets itself is kept.
        if repo
            .config_snapshot()
            .integer("core.deltaBaseCacheLimit")
            .is_none()
        {
            let mut config = repo.config_snapshot_mut();
            let _ = config.set_value(
                &gix::config::tree::Core::DELTA_BASE_CACHE_LIMIT,
                DELTA_BASE_CACHE_LIMIT,
            );
            // On error the default cache stays: slower, never wrong.
            let _ = config.commit();
        }
        Ok(Repository { repo })
    }

    /// The working tree, if the repository has one.
    pub fn workdir(&self) -> Option<&Path> {
        self.repo.workdir()
    }

    /// The folder shared by every worktree of the repository (`.git` in a plain clone).
    pub fn common_dir(&self) -> &Path {
        self.repo.common_dir()
    }

    /// The commit HEAD points at.
    pub fn head(&self) -> Result<ObjectId, Error> {
        let mut head = self
            .repo
            .head()
            .map_err(|error| Error::Head(Box::new(error)))?;
        if head.is_unborn() {
            return Err(Error::NoCommits);
        }
        head.peel_to_commit()
            .map(|commit| commit.id)
            .map_err(|error| Error::Head(Box::new(error)))
    }

    /// The short name of the checked-out branch, `None` on a detached HEAD.
    pub fn current_branch(&self) -> Option<String> {
        let name = self.repo.head_name().ok().flatten()?;
        Some(name.shorten().to_string())
    }

    /// Whether this is a shallow clone.
    pub fn is_shallow(&self) -> bool {
        self.repo.is_shallow().unwrap_or(false)
    }

    /// Every tag whose name `accept` keeps, peeled to its commit. Tags that do not point at a
    /// commit (a tagged tree or blob) are left out.
    pub fn tags(&self, mut accept: impl FnMut(&str) -> bool) -> Result<Vec<Tag>, Error> {
        let platform = self
            .repo
            .references()
            .map_err(|error| Error::ListTags(Box::new(error)))?;
        let iter = platform
            .tags()
            .map_err(|error| Error::ListTags(Box::new(error)))?;
        let mut tags = Vec::new();
        for reference in iter {
            let mut reference = reference.map_err(|error| Error::ListTags(Box::new(error)))?;
            let name = reference.name().shorten().to_string();
            if !accept(&name) {
                continue;
            }
            let id = reference.peel_to_id().map_err(|source| Error::PeelTag {
                name: name.clone(),
                source: Box::new(source),
            })?;
            let is_commit = self
                .repo
                .find_header(id)
                .map(|header| header.kind() == gix::object::Kind::Commit)
                .unwrap_or(false);
            if is_commit {
                tags.push(Tag {
                    name,
                    commit: id.detach(),
                });
            }
        }
        Ok(tags)
    }
}

/// The raw bytes of object `id`, `None` when the repository does not have it.
pub(crate) fn find_object<'b>(
    repo: &gix::Repository,
    id: ObjectId,
    buffer: &'b mut Vec<u8>,
) -> Result<Option<&'b [u8]>, Error> {
    use gix::prelude::Find as _;
    repo.objects
        .try_find(&id, buffer)
        .map(|found| found.map(|data| data.data))
        .map_err(|source| Error::ReadObject {
            id,
            source: Box::new(source),
        })
}
