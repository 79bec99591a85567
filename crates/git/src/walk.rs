//! The commits of `hidden..head`, newest first, each object read once.
//!
//! This is git's own limited walk: commits are expanded in commit-date order, commits
//! reachable from a hidden tip are marked (and the mark spreads to commits already seen), and
//! the walk stops once only commits marked by every tip are queued and they are older than
//! everything shown, with a few extra steps of slack for clock skew, as git does.
//!
//! Several hidden tips (one release tag per package of a monorepo) are walked at once: each
//! commit carries one mark bit per tip, so one walk answers `tag..HEAD` for every package.

use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashMap};

use gix::prelude::Find;
use gix::ObjectId;

use crate::repository::{Error, Repository};

/// What to walk.
#[derive(Debug, Clone)]
pub struct WalkRequest {
    /// Start here (usually HEAD).
    pub head: ObjectId,
    /// Release commits (at most [`MAX_HIDDEN`]). A commit reachable from all of them is left out; the
    /// others are reported with [`WalkedCommit::hidden_by`] saying which tips reach them.
    pub hidden: Vec<ObjectId>,
    /// Repository-relative directories or files; for each commit the walk reports which of
    /// them it changed compared to its first parent.
    pub paths: Vec<String>,
}

/// One commit of the range.
#[derive(Debug, Clone)]
pub struct WalkedCommit {
    pub id: ObjectId,
    /// The raw message (lossily decoded as UTF-8).
    pub message: String,
    pub parent_count: usize,
    /// One entry per requested path: whether this commit changed it.
    pub touched: Vec<bool>,
    /// Bit `i` is set when `hidden[i]` reaches this commit (it is then not in `hidden[i]..head`).
    pub hidden_by: u64,
}

impl WalkedCommit {
    /// Whether this commit is in `hidden[tip]..head`.
    pub fn in_range_of(&self, tip: usize) -> bool {
        self.hidden_by & (1 << tip) == 0
    }
}

/// The result of a walk.
#[derive(Debug, Clone)]
pub struct Walk {
    /// Newest first.
    pub commits: Vec<WalkedCommit>,
    /// Per hidden tip: it is an ancestor of (or equal to) `head`, so its range is a proper
    /// "since".
    pub hidden_reachable: Vec<bool>,
    /// The walk stopped at the edge of a shallow clone, so history may be missing.
    pub shallow_boundary: bool,
}

/// Extra steps taken after every queued commit is uninteresting, against clock skew.
const SLOP: usize = 5;

/// The mark bit of commits reachable from `head`; the other 63 bits are the hidden tips'.
const FROM_HEAD: u64 = 1 << 63;

/// How many hidden tips one walk takes.
pub const MAX_HIDDEN: usize = 63;

struct Node {
    id: ObjectId,
    tree: ObjectId,
    parents: std::ops::Range<usize>,
    message: Option<String>,
    /// One bit per hidden tip that reaches this commit, and [`FROM_HEAD`].
    mask: u64,
    queued: bool,
}

struct Walker<'a> {
    repository: &'a Repository,
    /// The commit-graph file, when the repository has one: parents, dates and trees without
    /// inflating commit objects.
    graph: Option<gix::commitgraph::Graph>,
    buffer: Vec<u8>,
    nodes: Vec<Node>,
    index: HashMap<ObjectId, usize>,
    parent_ids: Vec<ObjectId>,
    queue: BinaryHeap<(i64, Reverse<usize>)>,
    /// The bits of all hidden tips; 0 when there are none.
    tips_mask: u64,
    interesting_queued: usize,
    shallow: Vec<ObjectId>,
    shallow_boundary: bool,
}

impl Repository {
    /// Walks `hidden..head` (all of `head`'s history when `hidden` is `None`).
    pub fn walk(&self, request: &WalkRequest) -> Result<Walk, Error> {
        let shallow = match self.repo.shallow_commits() {
            Ok(Some(commits)) => commits.iter().copied().collect(),
            Ok(None) => Vec::new(),
            Err(error) => return Err(Error::Shallow(Box::new(error))),
        };
        let mut walker = Walker {
            repository: self,
            graph: self.repo.commit_graph_if_enabled().ok().flatten(),
            buffer: Vec::with_capacity(4096),
            nodes: Vec::new(),
            index: HashMap::new(),
            parent_ids: Vec::new(),
            queue: BinaryHeap::new(),
            tips_mask: (1u64 << request.hidden.len().min(MAX_HIDDEN)) - 1,
            interesting_queued: 0,
            shallow,
            shallow_boundary: false,
        };
        if request.hidden.len() > MAX_HIDDEN {
            return Err(Error::TooManyHiddenTips {
                count: request.hidden.len(),
            });
        }
        walker.visit(request.head, FROM_HEAD)?;
        for (tip, id) in request.hidden.iter().enumerate() {
            if walker.visit(*id, 1 << tip)?.is_none() {
                // The release commit is beyond a shallow clone's edge: nothing can be hidden.
                walker.shallow_boundary = true;
            }
        }
        let order = walker.run()?;
        let hidden_indices: Vec<Option<usize>> = request
            .hidden
            .iter()
            .map(|id| walker.index.get(id).copied())
            .collect();
        let hidden_reachable: Vec<bool> = hidden_indices
            .iter()
            .map(|index| index.is_some_and(|index| walker.nodes[index].mask & FROM_HEAD != 0))
            .collect();
        let mut commits = Vec::new();
        let paths: Vec<Vec<&[u8]>> = request.paths.iter().map(|path| components(path)).collect();
        let mut subtree_cache: HashMap<ObjectId, Vec<Option<ObjectId>>> = HashMap::new();
        let mut unread = Vec::new();
        for node_index in order {
            if !walker.shown(walker.nodes[node_index].mask) {
                continue;
            }
            let parents = walker.nodes[node_index].parents.clone();
            let parent_indices: Vec<Option<usize>> = walker.parent_ids[parents]
                .iter()
                .map(|id| walker.index.get(id).copied())
                .collect();
            let touched = if paths.is_empty() {
                Vec::new()
            } else {
                let tree = walker.nodes[node_index].tree;
                let own = walker.subtrees(tree, &paths, &mut subtree_cache)?;
                let first_parent = parent_indices.first().copied().flatten();
                let base = match first_parent {
                    Some(parent) => {
                        let parent_tree = walker.nodes[parent].tree;
                        walker.subtrees(parent_tree, &paths, &mut subtree_cache)?
                    }
                    None => vec![None; paths.len()],
                };
                own.iter()
                    .zip(&base)
                    .map(|(own, base)| own != base)
                    .collect()
            };
            let node = &mut walker.nodes[node_index];
            if node.message.is_none() {
                unread.push(commits.len());
            }
            commits.push(WalkedCommit {
                id: node.id,
                message: node.message.take().unwrap_or_default(),
                parent_count: node.parents.len(),
                touched,
                hidden_by: node.mask & !FROM_HEAD,
            });
        }
        self.read_messages(&mut commits, &unread)?;
        Ok(Walk {
            commits,
            hidden_reachable,
            shallow_boundary: walker.shallow_boundary,
        })
    }
}

impl Walker<'_> {
    /// Reads a commit the first time it is seen and queues it; marks it hidden if asked.
    /// Returns `None` for a commit beyond a shallow clone's edge.
    fn visit(&mut self, id: ObjectId, mask: u64) -> Result<Option<usize>, Error> {
        if let Some(&existing) = self.index.get(&id) {
            if mask & !self.nodes[existing].mask != 0 {
                self.mark(existing, mask);
            }
            return Ok(Some(existing));
        }
        if let Some(node_index) = self.visit_in_graph(id, mask) {
            return Ok(Some(node_index));
        }
        let found = self
            .repository
            .repo
            .objects
            .try_find(&id, &mut self.buffer)
            .map_err(|source| Error::ReadObject {
                id,
                source: Box::new(source),
            })?;
        let Some(data) = found else {
            if !self.shallow.is_empty() {
                self.shallow_boundary = true;
                return Ok(None);
            }
            return Err(Error::MissingObject { id });
        };
        let parsed = parse_commit(data.data).ok_or(Error::CorruptObject { id, kind: "commit" })?;
        let start = self.parent_ids.len();
        self.parent_ids.extend(parsed.parents.iter().copied());
        let shown = mask & FROM_HEAD != 0
            && !(self.tips_mask != 0 && mask & self.tips_mask == self.tips_mask);
        let message = shown.then(|| decode_message(parsed.message));
        let (tree, time) = (parsed.tree, parsed.time);
        Ok(Some(self.add_node(id, tree, start, time, message, mask)))
    }

    /// Takes parents, date and tree from the commit-graph; the message is read later, in
    /// parallel, for the commits that turn out to be in the range.
    fn visit_in_graph(&mut self, id: ObjectId, mask: u64) -> Option<usize> {
        let graph = self.graph.as_ref()?;
        let commit = graph.commit_by_id(id)?;
        let start = self.parent_ids.len();
        for parent in commit.iter_parents() {
            let Ok(position) = parent else {
                // A damaged graph: forget what was added and read the object instead.
                self.parent_ids.truncate(start);
                return None;
            };
            self.parent_ids.push(graph.id_at(position).to_owned());
        }
        let time = i64::try_from(commit.committer_timestamp()).unwrap_or(i64::MAX);
        let tree = commit.root_tree_id().to_owned();
        Some(self.add_node(id, tree, start, time, None, mask))
    }

    fn add_node(
        &mut self,
        id: ObjectId,
        tree: ObjectId,
        parents_start: usize,
        time: i64,
        message: Option<String>,
        mask: u64,
    ) -> usize {
        let node_index = self.nodes.len();
        self.nodes.push(Node {
            id,
            tree,
            parents: parents_start..self.parent_ids.len(),
            message,
            mask,
            queued: true,
        });
        self.index.insert(id, node_index);
        self.queue.push((time, Reverse(node_index)));
        if self.shown(mask) {
            self.interesting_queued += 1;
        }
        node_index
    }

    /// Reachable from `head`, and not from every hidden tip: in at least one range.
    fn shown(&self, mask: u64) -> bool {
        mask & FROM_HEAD != 0 && !(self.tips_mask != 0 && mask & self.tips_mask == self.tips_mask)
    }

    /// Adds `bits` to a commit and to everything already seen below it.
    fn mark(&mut self, start: usize, bits: u64) {
        let mut stack = vec![start];
        while let Some(node_index) = stack.pop() {
            let old = self.nodes[node_index].mask;
            let new = old | bits;
            if new == old {
                continue;
            }
            self.nodes[node_index].mask = new;
            if self.nodes[node_index].queued {
                match (self.shown(old), self.shown(new)) {
                    (false, true) => self.interesting_queued += 1,
                    (true, false) => self.interesting_queued -= 1,
                    _ => {}
                }
            }
            for parent in &self.parent_ids[self.nodes[node_index].parents.clone()] {
                if let Some(&parent_index) = self.index.get(parent) {
                    stack.push(parent_index);
                }
            }
        }
    }

    /// Expands commits newest first; returns the expansion order.
    fn run(&mut self) -> Result<Vec<usize>, Error> {
        let mut order = Vec::new();
        let mut oldest_shown = i64::MAX;
        let mut slop = SLOP;
        while let Some((time, Reverse(node_index))) = self.queue.pop() {
            self.nodes[node_index].queued = false;
            let mask = self.nodes[node_index].mask;
            let shown = self.shown(mask);
            if shown {
                self.interesting_queued -= 1;
                oldest_shown = oldest_shown.min(time);
                order.push(node_index);
            }
            let parents = self.nodes[node_index].parents.clone();
            if self.shallow.contains(&self.nodes[node_index].id) {
                if shown {
                    self.shallow_boundary = true;
                }
            } else {
                for position in parents {
                    let parent = self.parent_ids[position];
                    self.visit(parent, mask)?;
                }
            }
            if self.interesting_queued == 0 {
                match self.queue.peek() {
                    Some((next_time, _)) if *next_time < oldest_shown => {
                        slop -= 1;
                        if slop == 0 {
                            break;
                        }
                    }
                    Some(_) => slop = SLOP,
                    None => break,
                }
            }
        }
        Ok(order)
    }

    /// The ids of `paths` inside `tree` (`None` where a path does not exist).
    fn subtrees(
        &mut self,
        tree: ObjectId,
        paths: &[Vec<&[u8]>],
        cache: &mut HashMap<ObjectId, Vec<Option<ObjectId>>>,
    ) -> Result<Vec<Option<ObjectId>>, Error> {
        if let Some(known) = cache.get(&tree) {
            return Ok(known.clone());
        }
        let mut resolved = Vec::with_capacity(paths.len());
        // Trees on the way are shared between paths; read each once per root tree.
        let mut entries: HashMap<(ObjectId, Vec<u8>), Option<ObjectId>> = HashMap::new();
        for path in paths {
            let mut current = Some(tree);
            for component in path {
                let Some(directory) = current else { break };
                let key = (directory, component.to_vec());
                current = match entries.get(&key) {
                    Some(found) => *found,
                    None => {
                        let found = self.tree_entry(directory, component)?;
                        entries.insert(key, found);
                        found
                    }
                };
            }
            resolved.push(current);
        }
        cache.insert(tree, resolved.clone());
        Ok(resolved)
    }

    fn tree_entry(&mut self, tree: ObjectId, name: &[u8]) -> Result<Option<ObjectId>, Error> {
        let found = self
            .repository
            .repo
            .objects
            .try_find(&tree, &mut self.buffer)
            .map_err(|source| Error::ReadObject {
                id: tree,
                source: Box::new(source),
            })?;
        let Some(data) = found else {
            return Err(Error::MissingObject { id: tree });
        };
        let hash_length = tree.as_slice().len();
        let mut rest = data.data;
        while !rest.is_empty() {
            let corrupt = Error::CorruptObject {
                id: tree,
                kind: "tree",
            };
            let space = rest.iter().position(|byte| *byte == b' ').ok_or(corrupt)?;
            let after_mode = &rest[space + 1..];
            let nul =
                after_mode
                    .iter()
                    .position(|byte| *byte == 0)
                    .ok_or(Error::CorruptObject {
                        id: tree,
                        kind: "tree",
                    })?;
            let entry_name = &after_mode[..nul];
            let hash =
                after_mode
                    .get(nul + 1..nul + 1 + hash_length)
                    .ok_or(Error::CorruptObject {
                        id: tree,
                        kind: "tree",
                    })?;
            if entry_name == name {
                return Ok(Some(ObjectId::from_bytes_or_panic(hash)));
            }
            rest = &after_mode[nul + 1 + hash_length..];
        }
        Ok(None)
    }
}

impl Repository {
    /// Reads the messages of `commits[positions]`, on several threads for long ranges:
    /// inflating commit objects is most of the cost of a walk.
    fn read_messages(
        &self,
        commits: &mut [WalkedCommit],
        positions: &[usize],
    ) -> Result<(), Error> {
        let threads = std::thread::available_parallelism()
            .map_or(1, usize::from)
            .min(4);
        if positions.len() < PARALLEL_THRESHOLD || threads < 2 {
            let mut buffer = Vec::new();
            for &position in positions {
                let commit = &mut commits[position];
                commit.message = read_message(&self.repo, commit.id, &mut buffer)?;
            }
            return Ok(());
        }
        let shared = self.repo.clone().into_sync();
        let ids: Vec<ObjectId> = positions
            .iter()
            .map(|&position| commits[position].id)
            .collect();
        let chunk_size = ids.len().div_ceil(threads);
        let chunks: Vec<Result<Vec<String>, Error>> = std::thread::scope(|scope| {
            let handles: Vec<_> = ids
                .chunks(chunk_size)
                .map(|chunk| {
                    let shared = &shared;
                    scope.spawn(move || {
                        let repo = shared.to_thread_local();
                        let mut buffer = Vec::new();
                        chunk
                            .iter()
                            .map(|id| read_message(&repo, *id, &mut buffer))
                            .collect::<Result<Vec<_>, _>>()
                    })
                })
                .collect();
            handles
                .into_iter()
                .map(|handle| handle.join().unwrap_or(Err(Error::ReaderPanicked)))
                .collect()
        });
        let mut targets = positions.iter();
        for chunk in chunks {
            for message in chunk? {
                if let Some(&position) = targets.next() {
                    commits[position].message = message;
                }
            }
        }
        Ok(())
    }
}

/// Below this many messages, starting threads costs more than it saves.
const PARALLEL_THRESHOLD: usize = 1024;

fn read_message(
    repo: &gix::Repository,
    id: ObjectId,
    buffer: &mut Vec<u8>,
) -> Result<String, Error> {
    let data = repo
        .objects
        .try_find(&id, buffer)
        .map_err(|source| Error::ReadObject {
            id,
            source: Box::new(source),
        })?
        .ok_or(Error::MissingObject { id })?;
    let parsed = parse_commit(data.data).ok_or(Error::CorruptObject { id, kind: "commit" })?;
    Ok(decode_message(parsed.message))
}

/// Messages are UTF-8 in practice; anything else is decoded lossily rather than refused.
fn decode_message(bytes: &[u8]) -> String {
    match std::str::from_utf8(bytes) {
        Ok(text) => text.to_owned(),
        Err(_) => String::from_utf8_lossy(bytes).into_owned(),
    }
}

struct ParsedCommit<'a> {
    tree: ObjectId,
    parents: Vec<ObjectId>,
    time: i64,
    message: &'a [u8],
}

/// Reads the headers git needs for a walk, and the message, from a raw commit object.
fn parse_commit(data: &[u8]) -> Option<ParsedCommit<'_>> {
    let mut rest = data;
    let mut tree = None;
    let mut parents = Vec::new();
    let mut time = 0;
    loop {
        let Some(line_end) = rest.iter().position(|byte| *byte == b'\n') else {
            // Headers only, no message.
            return Some(ParsedCommit {
                tree: tree?,
                parents,
                time,
                message: &[],
            });
        };
        let line = &rest[..line_end];
        rest = &rest[line_end + 1..];
        if line.is_empty() {
            return Some(ParsedCommit {
                tree: tree?,
                parents,
                time,
                message: rest,
            });
        }
        if let Some(hex) = line.strip_prefix(b"tree ") {
            tree = Some(ObjectId::from_hex(hex).ok()?);
        } else if let Some(hex) = line.strip_prefix(b"parent ") {
            parents.push(ObjectId::from_hex(hex).ok()?);
        } else if let Some(signature) = line.strip_prefix(b"committer ") {
            time = signature_time(signature).unwrap_or(0);
        }
    }
}

/// `Name <email> 1700000000 +0100` gives `1700000000`.
fn signature_time(signature: &[u8]) -> Option<i64> {
    let after_email = &signature[signature.iter().rposition(|byte| *byte == b'>')? + 1..];
    let text = std::str::from_utf8(after_email).ok()?;
    text.split_whitespace().next()?.parse().ok()
}

/// `./crates/core/` gives `["crates", "core"]`; the root gives no components.
fn components(path: &str) -> Vec<&[u8]> {
    path.split('/')
        .filter(|part| !part.is_empty() && *part != ".")
        .map(str::as_bytes)
        .collect()
}
