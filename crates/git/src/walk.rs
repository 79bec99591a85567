//! The commits of `hidden..head`, newest first, each object read once.
//!
//! This is git's own limited walk: commits are expanded in commit-date order, commits
//! reachable from a hidden tip are marked (and the mark spreads to commits already seen), and
//! the walk stops once only commits marked by every tip are queued and they are older than
//! everything shown, with a few extra steps of slack for clock skew, as git does.
//!
//! Any number of hidden tips (one release tag per package of a monorepo) are walked at once:
//! each commit carries one mark bit per tip, so one walk answers `tag..HEAD` for every
//! package. Messages and touched paths of the commits shown are then read on all cores.

use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashMap};

use gix::ObjectId;

use crate::paths::{PathFilter, TreeReader, Trie};
use crate::repository::{find_object, Error, Repository};

/// What to walk.
#[derive(Debug, Clone)]
pub struct WalkRequest {
    /// Start here (usually HEAD).
    pub head: ObjectId,
    /// Release commits. A commit reachable from all of them is left out (unless
    /// `full_history`); for the others [`Walk::in_range`] tells which ranges hold them.
    pub hidden: Vec<ObjectId>,
    /// Keep every commit reachable from `head`, even those every hidden tip reaches: some
    /// package has never been released, so all of history counts for it.
    pub full_history: bool,
    /// For each commit the walk reports which of these it changed compared to its first
    /// parent.
    pub paths: Vec<PathFilter>,
}

/// One commit of the range.
#[derive(Debug, Clone)]
pub struct WalkedCommit {
    pub id: ObjectId,
    /// The raw message (lossily decoded as UTF-8).
    pub message: String,
    pub parent_count: usize,
    /// The indices of the requested paths this commit changed, ascending.
    pub touched: Vec<u32>,
}

impl WalkedCommit {
    /// Whether this commit changed `paths[path]`.
    pub fn touches(&self, path: usize) -> bool {
        u32::try_from(path).is_ok_and(|path| self.touched.binary_search(&path).is_ok())
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
    /// `words` mark words per commit, bit `t` set when `hidden[t]` reaches the commit.
    marks: Vec<u64>,
    words: usize,
}

impl Walk {
    /// Whether `commits[commit]` is in `hidden[tip]..head`.
    pub fn in_range(&self, commit: usize, tip: usize) -> bool {
        let word = self.marks[commit * self.words + tip / 64];
        word & (1 << (tip % 64)) == 0
    }
}

/// Extra steps taken after every queued commit is uninteresting, against clock skew.
const SLOP: usize = 5;

struct Node {
    id: ObjectId,
    tree: ObjectId,
    parents: std::ops::Range<usize>,
    message: Option<String>,
    /// Reachable from `head`.
    from_head: bool,
    queued: bool,
}

/// Where a commit's marks come from when it is visited.
#[derive(Clone, Copy)]
enum Source {
    Head,
    Tip(usize),
    /// A child commit already walked: its parents inherit its marks.
    Child(usize),
}

struct Walker<'a> {
    repository: &'a Repository,
    /// The commit-graph file, when the repository has one: parents, dates and trees without
    /// inflating commit objects.
    graph: Option<gix::commitgraph::Graph>,
    buffer: Vec<u8>,
    nodes: Vec<Node>,
    /// `words` words per node: one bit per hidden tip that reaches it.
    marks: Vec<u64>,
    words: usize,
    /// The bits of all hidden tips.
    all_tips: Vec<u64>,
    full_history: bool,
    index: HashMap<ObjectId, usize>,
    parent_ids: Vec<ObjectId>,
    queue: BinaryHeap<(i64, Reverse<usize>)>,
    interesting_queued: usize,
    shallow: Vec<ObjectId>,
    shallow_boundary: bool,
}

impl Repository {
    /// Walks `hidden..head` (all of `head`'s history when `hidden` is empty).
    pub fn walk(&self, request: &WalkRequest) -> Result<Walk, Error> {
        let shallow = match self.repo.shallow_commits() {
            Ok(Some(commits)) => commits.iter().copied().collect(),
            Ok(None) => Vec::new(),
            Err(error) => return Err(Error::Shallow(Box::new(error))),
        };
        let words = request.hidden.len().div_ceil(64).max(1);
        let mut all_tips = vec![0u64; words];
        for tip in 0..request.hidden.len() {
            all_tips[tip / 64] |= 1 << (tip % 64);
        }
        let mut walker = Walker {
            repository: self,
            graph: self.repo.commit_graph_if_enabled().ok().flatten(),
            buffer: Vec::with_capacity(4096),
            nodes: Vec::new(),
            marks: Vec::new(),
            words,
            all_tips,
            full_history: request.full_history || request.hidden.is_empty(),
            index: HashMap::new(),
            parent_ids: Vec::new(),
            queue: BinaryHeap::new(),
            interesting_queued: 0,
            shallow,
            shallow_boundary: false,
        };
        walker.visit(request.head, Source::Head)?;
        for (tip, id) in request.hidden.iter().enumerate() {
            if walker.visit(*id, Source::Tip(tip))?.is_none() {
                // The release commit is beyond a shallow clone's edge: nothing can be hidden.
                walker.shallow_boundary = true;
            }
        }
        let order = walker.run()?;
        let hidden_reachable: Vec<bool> = request
            .hidden
            .iter()
            .map(|id| {
                walker
                    .index
                    .get(id)
                    .is_some_and(|&index| walker.nodes[index].from_head)
            })
            .collect();
        let mut commits = Vec::with_capacity(order.len());
        let mut marks = Vec::with_capacity(order.len() * words);
        let mut jobs = Vec::with_capacity(order.len());
        for node_index in order {
            let node = &mut walker.nodes[node_index];
            let first_parent = walker.parent_ids[node.parents.clone()].first().copied();
            let parent_count = node.parents.len();
            let needs_message = node.message.is_none();
            commits.push(WalkedCommit {
                id: node.id,
                message: node.message.take().unwrap_or_default(),
                parent_count,
                touched: Vec::new(),
            });
            marks.extend_from_slice(&walker.marks[node_index * words..(node_index + 1) * words]);
            let tree = node.tree;
            let parent_tree = first_parent
                .and_then(|parent| walker.index.get(&parent))
                .map(|&parent| walker.nodes[parent].tree);
            jobs.push(Job {
                id: commits[commits.len() - 1].id,
                tree,
                parent_tree,
                needs_message,
            });
        }
        self.finish(&mut commits, &jobs, &request.paths)?;
        Ok(Walk {
            commits,
            hidden_reachable,
            shallow_boundary: walker.shallow_boundary,
            marks,
            words,
        })
    }
}

/// What is left to read for one commit after the walk.
struct Job {
    id: ObjectId,
    tree: ObjectId,
    /// `None` for a root commit (or one whose parent is beyond a shallow clone's edge).
    parent_tree: Option<ObjectId>,
    needs_message: bool,
}

impl Walker<'_> {
    /// Reads a commit the first time it is seen and queues it; adds the marks of `source`.
    /// Returns `None` for a commit beyond a shallow clone's edge.
    fn visit(&mut self, id: ObjectId, source: Source) -> Result<Option<usize>, Error> {
        if let Some(&existing) = self.index.get(&id) {
            self.mark(existing, source);
            return Ok(Some(existing));
        }
        if let Some(node_index) = self.visit_in_graph(id, source) {
            return Ok(Some(node_index));
        }
        let found = find_object(&self.repository.repo, id, &mut self.buffer)?;
        let Some(data) = found else {
            if !self.shallow.is_empty() {
                self.shallow_boundary = true;
                return Ok(None);
            }
            return Err(Error::MissingObject { id });
        };
        let parsed = parse_commit(data).ok_or(Error::CorruptObject { id, kind: "commit" })?;
        let start = self.parent_ids.len();
        self.parent_ids.extend(parsed.parents.iter().copied());
        let (tree, time) = (parsed.tree, parsed.time);
        // Keep the message now that the object is inflated; it is dropped if the commit
        // turns out to be hidden.
        let message = Some(decode_message(parsed.message));
        Ok(Some(self.add_node(id, tree, start, time, message, source)))
    }

    /// Takes parents, date and tree from the commit-graph; the message is read later, in
    /// parallel, for the commits that turn out to be in the range.
    fn visit_in_graph(&mut self, id: ObjectId, source: Source) -> Option<usize> {
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
        Some(self.add_node(id, tree, start, time, None, source))
    }

    fn add_node(
        &mut self,
        id: ObjectId,
        tree: ObjectId,
        parents_start: usize,
        time: i64,
        message: Option<String>,
        source: Source,
    ) -> usize {
        let node_index = self.nodes.len();
        let words = self.words;
        let from_head = match source {
            Source::Head => {
                self.marks.extend(std::iter::repeat_n(0, words));
                true
            }
            Source::Tip(tip) => {
                self.marks.extend(std::iter::repeat_n(0, words));
                self.marks[node_index * words + tip / 64] |= 1 << (tip % 64);
                false
            }
            Source::Child(child) => {
                self.marks
                    .extend_from_within(child * words..(child + 1) * words);
                self.nodes[child].from_head
            }
        };
        self.nodes.push(Node {
            id,
            tree,
            parents: parents_start..self.parent_ids.len(),
            message,
            from_head,
            queued: true,
        });
        self.index.insert(id, node_index);
        self.queue.push((time, Reverse(node_index)));
        if self.shown(node_index) {
            self.interesting_queued += 1;
        }
        node_index
    }

    /// Reachable from `head`, and not from every hidden tip: in at least one range.
    fn shown(&self, node_index: usize) -> bool {
        self.nodes[node_index].from_head
            && (self.full_history
                || self.marks[node_index * self.words..(node_index + 1) * self.words]
                    .iter()
                    .zip(&self.all_tips)
                    .any(|(marks, tips)| marks & tips != *tips))
    }

    /// Adds the marks of `source` to a commit and to everything already seen below it.
    fn mark(&mut self, start: usize, source: Source) {
        let words = self.words;
        let mut bits = vec![0u64; words];
        let from_head = match source {
            Source::Head => true,
            Source::Tip(tip) => {
                bits[tip / 64] |= 1 << (tip % 64);
                false
            }
            Source::Child(child) => {
                bits.copy_from_slice(&self.marks[child * words..(child + 1) * words]);
                self.nodes[child].from_head
            }
        };
        let adds = |walker: &Self, node_index: usize| {
            (from_head && !walker.nodes[node_index].from_head)
                || walker.marks[node_index * words..(node_index + 1) * words]
                    .iter()
                    .zip(&bits)
                    .any(|(old, new)| old | new != *old)
        };
        if !adds(self, start) {
            return;
        }
        let mut stack = vec![start];
        while let Some(node_index) = stack.pop() {
            if !adds(self, node_index) {
                continue;
            }
            let was_shown = self.shown(node_index);
            self.nodes[node_index].from_head |= from_head;
            for (old, new) in self.marks[node_index * words..(node_index + 1) * words]
                .iter_mut()
                .zip(&bits)
            {
                *old |= new;
            }
            if self.nodes[node_index].queued {
                match (was_shown, self.shown(node_index)) {
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

    /// Expands commits newest first; returns the commits shown, in expansion order.
    fn run(&mut self) -> Result<Vec<usize>, Error> {
        let mut order = Vec::new();
        let mut oldest_shown = i64::MAX;
        let mut slop = SLOP;
        while let Some((time, Reverse(node_index))) = self.queue.pop() {
            self.nodes[node_index].queued = false;
            let shown = self.shown(node_index);
            order.push(node_index);
            if shown {
                self.interesting_queued -= 1;
                oldest_shown = oldest_shown.min(time);
            } else {
                self.nodes[node_index].message = None;
            }
            let parents = self.nodes[node_index].parents.clone();
            if self.shallow.contains(&self.nodes[node_index].id) {
                if shown {
                    self.shallow_boundary = true;
                }
            } else {
                for position in parents {
                    let parent = self.parent_ids[position];
                    self.visit(parent, Source::Child(node_index))?;
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
        // Marks spread after expansion: a commit shown then may be hidden now, and one first
        // reached from a hidden tip on another branch may be reached from `head` now.
        order.retain(|&node_index| self.shown(node_index));
        Ok(order)
    }
}

impl Repository {
    /// Reads what the walk left for later, on several threads for long ranges: messages
    /// the commit-graph did not give, and the paths each commit changed. Inflating objects
    /// is most of the cost of a walk.
    fn finish(
        &self,
        commits: &mut [WalkedCommit],
        jobs: &[Job],
        paths: &[PathFilter],
    ) -> Result<(), Error> {
        let work = jobs.iter().filter(|job| job.needs_message).count()
            + if paths.is_empty() { 0 } else { jobs.len() };
        if work == 0 {
            return Ok(());
        }
        let trie = Trie::new(paths);
        let oldest_first = !paths.is_empty() && self.bases_are_older(jobs);
        let threads = std::thread::available_parallelism()
            .map_or(1, usize::from)
            .min(4);
        if work < PARALLEL_THRESHOLD || threads < 2 {
            let results = finish_chunk(&self.repo, jobs, &trie, paths, oldest_first)?;
            store(commits, results);
            return Ok(());
        }
        let shared = self.repo.clone().into_sync();
        let chunk_size = jobs.len().div_ceil(threads);
        let chunks: Vec<Result<Vec<Finished>, Error>> = std::thread::scope(|scope| {
            let handles: Vec<_> = jobs
                .chunks(chunk_size)
                .map(|chunk| {
                    let (shared, trie) = (&shared, &trie);
                    scope.spawn(move || {
                        let repo = shared.to_thread_local();
                        finish_chunk(&repo, chunk, trie, paths, oldest_first)
                    })
                })
                .collect();
            handles
                .into_iter()
                .map(|handle| handle.join().unwrap_or(Err(Error::ReaderPanicked)))
                .collect()
        });
        let mut results = Vec::with_capacity(jobs.len());
        for chunk in chunks {
            results.extend(chunk?);
        }
        store(commits, results);
        Ok(())
    }
}

impl Repository {
    /// Whether the pack stores newer trees as deltas of older ones, so that reading oldest
    /// first finds each delta's base already decoded and cached (packs written by
    /// `git fast-import` and kept by `git gc`, or grown by pushes). `git repack -f` makes
    /// the newest objects the bases, and newest first is right there. A base always comes
    /// before its deltas in a pack, so a few commits whose tree lies after their parent's
    /// tell.
    fn bases_are_older(&self, jobs: &[Job]) -> bool {
        use gix::odb::pack::Find as _;
        let mut buffer = Vec::new();
        // Pack locations are only handed out by a handle that keeps its packs mapped.
        let mut objects = self.repo.objects.clone();
        objects.prevent_pack_unload();
        let mut locate = |id: ObjectId| objects.location_by_oid(&id, &mut buffer).ok().flatten();
        let step = (jobs.len() / SAMPLES).max(1);
        let (mut older, mut newer) = (0, 0);
        for job in jobs.iter().step_by(step).take(SAMPLES) {
            let Some(parent) = job.parent_tree else {
                continue;
            };
            if let (Some(own), Some(parent)) = (locate(job.tree), locate(parent)) {
                if own.pack_id == parent.pack_id {
                    if own.pack_offset > parent.pack_offset {
                        older += 1;
                    } else {
                        newer += 1;
                    }
                }
            }
        }
        older > newer
    }
}

/// How many commits [`Repository::bases_are_older`] looks at.
const SAMPLES: usize = 16;

/// The message (if it had to be read) and touched paths of one commit.
type Finished = (Option<String>, Vec<u32>);

/// Reads one thread's share of the jobs, in the order that suits the pack's deltas.
fn finish_chunk(
    repo: &gix::Repository,
    jobs: &[Job],
    trie: &Trie,
    paths: &[PathFilter],
    oldest_first: bool,
) -> Result<Vec<Finished>, Error> {
    let mut buffer = Vec::new();
    let mut trees = TreeReader::new(repo);
    let order: Box<dyn Iterator<Item = &Job>> = if oldest_first {
        Box::new(jobs.iter().rev())
    } else {
        Box::new(jobs.iter())
    };
    let mut results = order
        .map(|job| {
            let message = if job.needs_message {
                Some(read_message(repo, job.id, &mut buffer)?)
            } else {
                None
            };
            let touched = if paths.is_empty() {
                Vec::new()
            } else {
                trees.touched(trie, paths, job.tree, job.parent_tree)?
            };
            Ok((message, touched))
        })
        .collect::<Result<Vec<Finished>, Error>>()?;
    if oldest_first {
        results.reverse();
    }
    Ok(results)
}

fn store(commits: &mut [WalkedCommit], results: Vec<Finished>) {
    for (commit, (message, touched)) in commits.iter_mut().zip(results) {
        if let Some(message) = message {
            commit.message = message;
        }
        commit.touched = touched;
    }
}

/// Below this many objects to read, starting threads costs more than it saves.
const PARALLEL_THRESHOLD: usize = 1024;

fn read_message(
    repo: &gix::Repository,
    id: ObjectId,
    buffer: &mut Vec<u8>,
) -> Result<String, Error> {
    let data = find_object(repo, id, buffer)?.ok_or(Error::MissingObject { id })?;
    let parsed = parse_commit(data).ok_or(Error::CorruptObject { id, kind: "commit" })?;
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
