//! Which paths a commit changed, answered by comparing tree ids, not by diffing.
//!
//! The filters' paths form a trie. For one commit, the trie is walked down the commit's tree
//! and its first parent's tree at once, and only where the two differ: a package whose
//! directory has the same tree id in both is untouched, whatever the size of the repository,
//! at the cost of reading the trees on the way to it. A real (pruned, early-exit) diff runs
//! only inside a changed directory whose filter has globs or nested directories to skip.

use std::collections::HashMap;
use std::rc::Rc;

use gix::ObjectId;
use glob::{MatchOptions, Pattern};

use crate::repository::{find_object, Error};

/// A part of the repository whose changes are of interest.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PathFilter {
    /// Repository-relative directory or file, `/`-separated; empty for the whole repository.
    pub path: String,
    /// Globs relative to `path`; when there are any, only changed files matching one count.
    pub include: Vec<Glob>,
    /// Globs relative to `path` for files whose changes never count (lockfiles, say).
    pub exclude: Vec<Glob>,
    /// Directories relative to `path` whose changes never count (nested packages), sorted.
    pub skip: Vec<String>,
}

/// A file pattern, read as in `.gitignore`: without a `/` it matches a file name at any
/// depth (`*.md`, `package-lock.json`); with one it matches the whole relative path
/// (`src/**`), and a leading `/` only anchors it (`/package.json`). `*` stays within one
/// directory, `**` crosses directories.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Glob {
    pattern: Pattern,
    anchored: bool,
}

impl Glob {
    pub fn new(text: &str) -> Result<Glob, glob::PatternError> {
        let anchored = text.contains('/');
        let text = text.strip_prefix('/').unwrap_or(text);
        Ok(Glob {
            pattern: Pattern::new(text)?,
            anchored,
        })
    }

    /// The pattern as written, without a leading `/`.
    pub fn as_str(&self) -> &str {
        self.pattern.as_str()
    }

    /// Matches only entries at the top of the filter's directory (`/Cargo.lock`), so a
    /// changed subdirectory can be judged without reading it.
    fn top_level_only(&self) -> bool {
        self.anchored && !self.pattern.as_str().contains('/')
    }

    fn matches(&self, relative: &str) -> bool {
        if self.anchored {
            self.pattern.matches_with(relative, MATCH)
        } else {
            let name = relative.rsplit('/').next().unwrap_or(relative);
            self.pattern.matches_with(name, MATCH)
        }
    }
}

/// How globs match: `*` stays within one directory, `**` crosses directories.
const MATCH: MatchOptions = MatchOptions {
    case_sensitive: true,
    require_literal_separator: true,
    require_literal_leading_dot: false,
};

impl PathFilter {
    /// Every change under `path` counts. `./a/b/` is read as `a/b`, `.` as the whole
    /// repository.
    pub fn new(path: &str) -> Self {
        PathFilter {
            path: normalize(path),
            ..PathFilter::default()
        }
    }

    /// Whether a change to `relative` (a file path relative to [`PathFilter::path`]) counts.
    pub fn counts(&self, relative: &str) -> bool {
        !self.exclude.iter().any(|glob| glob.matches(relative))
            && (self.include.is_empty() || self.include.iter().any(|glob| glob.matches(relative)))
    }

    /// No globs and nothing to skip: a changed tree id is enough.
    fn is_plain(&self) -> bool {
        self.include.is_empty() && self.exclude.is_empty() && self.skip.is_empty()
    }

    fn skips(&self, relative: &str) -> bool {
        self.skip
            .binary_search_by(|skipped| skipped.as_str().cmp(relative))
            .is_ok()
    }

    /// Whether any change inside the directory `relative` counts, without looking: no
    /// include globs, no exclude glob that could reach inside, nothing skipped below it.
    fn counts_all_inside(&self, relative: &str) -> bool {
        self.include.is_empty()
            && self.exclude.iter().all(Glob::top_level_only)
            && !self.skip.iter().any(|skipped| {
                skipped
                    .strip_prefix(relative)
                    .is_some_and(|rest| rest.starts_with('/'))
            })
    }
}

/// `./a/b/` gives `a/b`; `.` and `/` give the empty path.
pub(crate) fn normalize(path: &str) -> String {
    path.split('/')
        .filter(|part| !part.is_empty() && *part != ".")
        .collect::<Vec<_>>()
        .join("/")
}

/// The filters' paths as a trie of path components.
pub(crate) struct Trie {
    nodes: Vec<TrieNode>,
}

#[derive(Default)]
struct TrieNode {
    /// Sorted by name.
    children: Vec<(Vec<u8>, usize)>,
    /// The filters whose path ends here.
    filters: Vec<u32>,
}

impl Trie {
    pub(crate) fn new(filters: &[PathFilter]) -> Self {
        let mut nodes = vec![TrieNode::default()];
        for (index, filter) in filters.iter().enumerate() {
            let mut node = 0;
            for component in filter.path.split('/').filter(|part| !part.is_empty()) {
                let component = component.as_bytes();
                node = match nodes[node]
                    .children
                    .binary_search_by(|(name, _)| name.as_slice().cmp(component))
                {
                    Ok(position) => nodes[node].children[position].1,
                    Err(position) => {
                        let child = nodes.len();
                        nodes.push(TrieNode::default());
                        nodes[node]
                            .children
                            .insert(position, (component.to_vec(), child));
                        child
                    }
                };
            }
            nodes[node]
                .filters
                .push(u32::try_from(index).unwrap_or(u32::MAX));
        }
        Trie { nodes }
    }

    fn child(&self, node: usize, name: &[u8]) -> Option<usize> {
        let children = &self.nodes[node].children;
        children
            .binary_search_by(|(child, _)| child.as_slice().cmp(name))
            .ok()
            .map(|position| children[position].1)
    }
}

/// One side of a comparison: an entry id and whether it is a tree.
type Side = Option<(ObjectId, bool)>;

/// Reads trees for one thread, keeping recently read ones: consecutive commits share most
/// of their trees, so each tree is usually read once for two comparisons.
pub(crate) struct TreeReader<'a> {
    repo: &'a gix::Repository,
    buffer: Vec<u8>,
    cache: HashMap<ObjectId, Rc<[u8]>>,
    cached_bytes: usize,
}

/// Beyond this many bytes of cached trees the cache starts over: enough for the trees of a
/// few hundred consecutive commits.
const CACHE_LIMIT: usize = 8 << 20;

struct Entry<'a> {
    name: &'a [u8],
    is_tree: bool,
    id: &'a [u8],
}

impl<'a> TreeReader<'a> {
    pub(crate) fn new(repo: &'a gix::Repository) -> Self {
        TreeReader {
            repo,
            buffer: Vec::new(),
            cache: HashMap::new(),
            cached_bytes: 0,
        }
    }

    /// The indices of the `filters` that `tree` changed compared to `parent` (`None` for the
    /// empty tree of a root commit), ascending.
    pub(crate) fn touched(
        &mut self,
        trie: &Trie,
        filters: &[PathFilter],
        tree: ObjectId,
        parent: Option<ObjectId>,
    ) -> Result<Vec<u32>, Error> {
        let mut touched = Vec::new();
        self.descend(
            trie,
            filters,
            0,
            Some((tree, true)),
            parent.map(|parent| (parent, true)),
            &mut touched,
        )?;
        touched.sort_unstable();
        touched.dedup();
        Ok(touched)
    }

    fn descend(
        &mut self,
        trie: &Trie,
        filters: &[PathFilter],
        node: usize,
        ours: Side,
        theirs: Side,
        touched: &mut Vec<u32>,
    ) -> Result<(), Error> {
        if ours == theirs {
            return Ok(());
        }
        for &index in &trie.nodes[node].filters {
            let filter = &filters[index as usize];
            if filter.is_plain() || self.counts_any(filter, ours, theirs)? {
                touched.push(index);
            }
        }
        if trie.nodes[node].children.is_empty() {
            return Ok(());
        }
        let mut next = Vec::new();
        self.differences(tree_of(ours), tree_of(theirs), |name, ours, theirs| {
            if let Some(child) = trie.child(node, name) {
                next.push((child, ours, theirs));
            }
            false
        })?;
        for (child, ours, theirs) in next {
            self.descend(trie, filters, child, ours, theirs, touched)?;
        }
        Ok(())
    }

    /// Whether any changed file between `ours` and `theirs` counts for `filter`.
    fn counts_any(&mut self, filter: &PathFilter, ours: Side, theirs: Side) -> Result<bool, Error> {
        let either_file = |side: Side| side.is_some_and(|(_, is_tree)| !is_tree);
        if either_file(ours) || either_file(theirs) {
            // The filter names a file (or a file replaced a directory): judge it by its name.
            let name = filter.path.rsplit('/').next().unwrap_or_default();
            if filter.counts(name) {
                return Ok(true);
            }
        }
        let mut prefix = String::new();
        self.diff_counts(filter, tree_of(ours), tree_of(theirs), &mut prefix)
    }

    /// A diff of two trees that stops at the first changed file that counts.
    fn diff_counts(
        &mut self,
        filter: &PathFilter,
        ours: Option<ObjectId>,
        theirs: Option<ObjectId>,
        prefix: &mut String,
    ) -> Result<bool, Error> {
        let mut changed = Vec::new();
        self.differences(ours, theirs, |name, ours, theirs| {
            changed.push((String::from_utf8_lossy(name).into_owned(), ours, theirs));
            false
        })?;
        for (name, ours, theirs) in changed {
            let length = prefix.len();
            if !prefix.is_empty() {
                prefix.push('/');
            }
            prefix.push_str(&name);
            let counts = if filter.skips(prefix) {
                false
            } else {
                let is_file = |side: Side| side.is_some_and(|(_, is_tree)| !is_tree);
                let is_tree = tree_of(ours).is_some() || tree_of(theirs).is_some();
                ((is_file(ours) || is_file(theirs)) && filter.counts(prefix))
                    || (is_tree
                        && (filter.counts_all_inside(prefix)
                            || self.diff_counts(filter, tree_of(ours), tree_of(theirs), prefix)?))
            };
            prefix.truncate(length);
            if counts {
                return Ok(true);
            }
        }
        Ok(false)
    }

    /// Calls `each(name, ours, theirs)` for every entry that differs between two trees
    /// (`None` for an absent tree), in git's entry order, until it returns `true`.
    fn differences(
        &mut self,
        ours: Option<ObjectId>,
        theirs: Option<ObjectId>,
        mut each: impl FnMut(&[u8], Side, Side) -> bool,
    ) -> Result<(), Error> {
        if ours == theirs {
            return Ok(());
        }
        let ours_data = ours.map(|id| self.read(id)).transpose()?;
        let theirs_data = theirs.map(|id| self.read(id)).transpose()?;
        let ours_entries = match (&ours_data, ours) {
            (Some(data), Some(id)) => entries(data, id)?,
            _ => Vec::new(),
        };
        let theirs_entries = match (&theirs_data, theirs) {
            (Some(data), Some(id)) => entries(data, id)?,
            _ => Vec::new(),
        };
        let side =
            |entry: &Entry<'_>| Some((ObjectId::from_bytes_or_panic(entry.id), entry.is_tree));
        let (mut left, mut right) = (0, 0);
        loop {
            let stop = match (ours_entries.get(left), theirs_entries.get(right)) {
                (None, None) => return Ok(()),
                (Some(ours), None) => {
                    left += 1;
                    each(ours.name, side(ours), None)
                }
                (None, Some(theirs)) => {
                    right += 1;
                    each(theirs.name, None, side(theirs))
                }
                (Some(ours), Some(theirs)) => match git_order(ours, theirs) {
                    std::cmp::Ordering::Less => {
                        left += 1;
                        each(ours.name, side(ours), None)
                    }
                    std::cmp::Ordering::Greater => {
                        right += 1;
                        each(theirs.name, None, side(theirs))
                    }
                    std::cmp::Ordering::Equal => {
                        left += 1;
                        right += 1;
                        ours.id != theirs.id && each(ours.name, side(ours), side(theirs))
                    }
                },
            };
            if stop {
                return Ok(());
            }
        }
    }

    fn read(&mut self, id: ObjectId) -> Result<Rc<[u8]>, Error> {
        if let Some(data) = self.cache.get(&id) {
            return Ok(Rc::clone(data));
        }
        let found =
            find_object(self.repo, id, &mut self.buffer)?.ok_or(Error::MissingObject { id })?;
        let data: Rc<[u8]> = Rc::from(found);
        if self.cached_bytes >= CACHE_LIMIT {
            self.cache.clear();
            self.cached_bytes = 0;
        }
        self.cached_bytes += data.len();
        self.cache.insert(id, Rc::clone(&data));
        Ok(data)
    }
}

fn tree_of(side: Side) -> Option<ObjectId> {
    side.and_then(|(id, is_tree)| is_tree.then_some(id))
}

/// Git sorts tree entries by name, comparing a tree's name as if it ended with `/`.
fn git_order(left: &Entry<'_>, right: &Entry<'_>) -> std::cmp::Ordering {
    let common = left.name.len().min(right.name.len());
    match left.name[..common].cmp(&right.name[..common]) {
        std::cmp::Ordering::Equal => {}
        other => return other,
    }
    let end = |entry: &Entry<'_>| match entry.name.get(common) {
        Some(byte) => *byte,
        None if entry.is_tree => b'/',
        None => 0,
    };
    end(left).cmp(&end(right))
}

/// The entries of a raw tree object.
fn entries(data: &[u8], id: ObjectId) -> Result<Vec<Entry<'_>>, Error> {
    let corrupt = || Error::CorruptObject { id, kind: "tree" };
    let hash_length = id.as_slice().len();
    let mut found = Vec::new();
    let mut rest = data;
    while !rest.is_empty() {
        let space = rest
            .iter()
            .position(|byte| *byte == b' ')
            .ok_or_else(corrupt)?;
        let mode = &rest[..space];
        let after_mode = &rest[space + 1..];
        let nul = after_mode
            .iter()
            .position(|byte| *byte == 0)
            .ok_or_else(corrupt)?;
        let hash = after_mode
            .get(nul + 1..nul + 1 + hash_length)
            .ok_or_else(corrupt)?;
        found.push(Entry {
            name: &after_mode[..nul],
            is_tree: mode == b"40000",
            id: hash,
        });
        rest = &after_mode[nul + 1 + hash_length..];
    }
    Ok(found)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn filter(include: &[&str], exclude: &[&str]) -> PathFilter {
        PathFilter {
            path: "pkg".to_owned(),
            include: include
                .iter()
                .map(|glob| Glob::new(glob).expect("glob"))
                .collect(),
            exclude: exclude
                .iter()
                .map(|glob| Glob::new(glob).expect("glob"))
                .collect(),
            skip: Vec::new(),
        }
    }

    #[test]
    fn globs_without_a_slash_match_names_at_any_depth() {
        let lockfiles = filter(&[], &["package-lock.json", "*.md"]);
        assert!(!lockfiles.counts("package-lock.json"));
        assert!(!lockfiles.counts("docs/deep/README.md"));
        assert!(lockfiles.counts("src/index.js"));
        let sources = filter(&["src/**", "/package.json"], &[]);
        assert!(sources.counts("src/a/b.js"));
        assert!(sources.counts("package.json"));
        assert!(!sources.counts("test/a.js"));
        let shallow = filter(&["src/*.js"], &[]);
        assert!(shallow.counts("src/a.js"));
        assert!(!shallow.counts("src/deep/a.js"));
    }

    #[test]
    fn paths_are_normalized() {
        assert_eq!(normalize("./a/b/"), "a/b");
        assert_eq!(normalize("."), "");
        assert_eq!(normalize("/"), "");
    }
}
