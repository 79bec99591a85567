//! The commits since a release, classified: reverts paired up, `fail` commits found, the
//! highest bump taken.

use std::collections::HashMap;

use serde::Serialize;

use crate::bump::{Bump, BumpRules, Level};
use crate::commit::ConventionalCommit;

/// One commit of the range, newest first as git walks them.
#[derive(Debug, Clone)]
pub struct RangeCommit {
    /// Full hexadecimal object id.
    pub id: String,
    pub message: String,
}

/// A commit with its level and the reason for it.
#[derive(Debug, Clone, Serialize)]
pub struct ClassifiedCommit {
    pub id: String,
    pub header: String,
    /// The level that counts for this release (`none` for a cancelled revert pair).
    pub bump: Bump,
    /// The rule that gave the level.
    pub rule: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reverted_by: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reverts: Option<String>,
    #[serde(skip)]
    pub commit: ConventionalCommit,
    #[serde(skip)]
    pub fails: bool,
}

/// The result of reading a range.
#[derive(Debug, Clone)]
pub struct History {
    /// Newest first.
    pub commits: Vec<ClassifiedCommit>,
    /// The highest bump of any commit that counts.
    pub bump: Bump,
}

/// Commits that a `fail` rule forbids releasing.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{} commit(s) must not be released: {}", .commits.len(), .commits.iter().map(|(id, header)| format!("`{}` ({header})", short(id))).collect::<Vec<_>>().join(", "))]
pub struct FailedCommits {
    /// `(id, header)` of each forbidden commit.
    pub commits: Vec<(String, String)>,
}

impl History {
    /// Classifies `commits` (newest first). A revert whose target is in the range cancels
    /// both; a revert of a commit outside the range (already released) keeps its own level.
    pub fn classify(commits: Vec<RangeCommit>, rules: &BumpRules) -> History {
        History::from_classified(classify_commits(commits, rules))
    }

    /// Pairs reverts and takes the highest bump of commits already classified one by one
    /// (newest first): a monorepo classifies each commit once, then builds one history per
    /// package from the commits that touch it.
    pub fn from_classified(mut classified: Vec<ClassifiedCommit>) -> History {
        let index_by_id: HashMap<&str, usize> = classified
            .iter()
            .enumerate()
            .map(|(index, commit)| (commit.id.as_str(), index))
            .collect();
        // Newest first: a revert of a revert cancels the inner revert before it can cancel
        // its own target, so the original change counts again.
        let mut pairs = Vec::new();
        let mut cancelled = vec![false; classified.len()];
        for index in 0..classified.len() {
            if cancelled[index] {
                continue;
            }
            let Some(hash) = classified[index]
                .commit
                .revert
                .as_ref()
                .and_then(|revert| revert.hash.as_deref())
            else {
                continue;
            };
            let target = index_by_id.get(hash).copied().or_else(|| {
                classified
                    .iter()
                    .position(|candidate| candidate.id.starts_with(hash))
            });
            if let Some(target) = target.filter(|&target| target != index && !cancelled[target]) {
                cancelled[index] = true;
                cancelled[target] = true;
                pairs.push((index, target));
            }
        }
        for (revert, target) in pairs {
            let revert_id = classified[revert].id.clone();
            let target_id = classified[target].id.clone();
            let reverting = &mut classified[revert];
            reverting.rule = format!("cancelled: reverts `{}` of this release", short(&target_id));
            reverting.reverts = Some(target_id);
            let reverted = &mut classified[target];
            reverted.rule = format!(
                "cancelled: reverted within this release by `{}`",
                short(&revert_id)
            );
            reverted.reverted_by = Some(revert_id);
            for index in [revert, target] {
                classified[index].bump = Bump::None;
                classified[index].fails = false;
            }
        }
        let bump = classified
            .iter()
            .map(|commit| commit.bump)
            .max()
            .unwrap_or(Bump::None);
        History {
            commits: classified,
            bump,
        }
    }

    /// Fails when a commit that counts is forbidden by a `fail` rule.
    pub fn check_failures(&self) -> Result<(), FailedCommits> {
        let commits: Vec<(String, String)> = self
            .commits
            .iter()
            .filter(|commit| commit.fails)
            .map(|commit| (commit.id.clone(), commit.header.clone()))
            .collect();
        if commits.is_empty() {
            Ok(())
        } else {
            Err(FailedCommits { commits })
        }
    }
}

/// Below this many commits, splitting the work across threads costs more than it saves.
const PARALLEL_THRESHOLD: usize = 4096;

/// Parses and classifies every commit on its own (no revert pairing), on several threads
/// for long histories: each commit is independent, and this is the costliest step after
/// reading the objects.
pub fn classify_commits(commits: Vec<RangeCommit>, rules: &BumpRules) -> Vec<ClassifiedCommit> {
    let threads = std::thread::available_parallelism()
        .map_or(1, usize::from)
        .min(4);
    if commits.len() < PARALLEL_THRESHOLD || threads < 2 {
        return commits
            .into_iter()
            .map(|commit| classify_one(commit, rules))
            .collect();
    }
    let chunk_size = commits.len().div_ceil(threads);
    let mut chunks: Vec<Vec<RangeCommit>> = Vec::with_capacity(threads);
    let mut rest = commits;
    while rest.len() > chunk_size {
        let tail = rest.split_off(chunk_size);
        chunks.push(rest);
        rest = tail;
    }
    chunks.push(rest);
    std::thread::scope(|scope| {
        let handles: Vec<_> = chunks
            .into_iter()
            .map(|chunk| {
                scope.spawn(move || {
                    chunk
                        .into_iter()
                        .map(|commit| classify_one(commit, rules))
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        handles
            .into_iter()
            .flat_map(|handle| match handle.join() {
                Ok(classified) => classified,
                // Classifying cannot panic short of a bug; surface it where it happened.
                Err(payload) => std::panic::resume_unwind(payload),
            })
            .collect()
    })
}

fn classify_one(range_commit: RangeCommit, rules: &BumpRules) -> ClassifiedCommit {
    let commit = ConventionalCommit::parse(&range_commit.message);
    let classification = rules.classify(&commit);
    ClassifiedCommit {
        header: commit.header.clone(),
        id: range_commit.id,
        bump: classification.level.bump(),
        rule: classification.rule,
        reverted_by: None,
        reverts: None,
        fails: classification.level == Level::Fail,
        commit,
    }
}

/// The abbreviated form of an object id used in messages.
pub fn short(id: &str) -> &str {
    id.get(..7).unwrap_or(id)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn range(commits: &[(&str, &str)]) -> Vec<RangeCommit> {
        commits
            .iter()
            .map(|(id, message)| RangeCommit {
                id: (*id).to_owned(),
                message: (*message).to_owned(),
            })
            .collect()
    }

    #[test]
    fn revert_inside_range_cancels_both() {
        let history = History::classify(
            range(&[
                (
                    "cccc000",
                    "Revert \"feat: x\"\n\nThis reverts commit bbbb000.",
                ),
                ("bbbb000", "feat: x"),
                ("aaaa000", "fix: y"),
            ]),
            &BumpRules::default(),
        );
        assert_eq!(history.bump, Bump::Patch);
        assert_eq!(history.commits[0].reverts.as_deref(), Some("bbbb000"));
        assert_eq!(history.commits[1].reverted_by.as_deref(), Some("cccc000"));
    }

    #[test]
    fn revert_of_released_commit_is_a_patch() {
        let history = History::classify(
            range(&[(
                "cccc000",
                "Revert \"feat!: x\"\n\nThis reverts commit 9999000.",
            )]),
            &BumpRules::default(),
        );
        assert_eq!(history.bump, Bump::Patch);
    }

    #[test]
    fn revert_of_a_revert_brings_the_change_back() {
        let history = History::classify(
            range(&[
                (
                    "dddd000",
                    "Revert \"Revert \"feat: x\"\"\n\nThis reverts commit cccc000.",
                ),
                (
                    "cccc000",
                    "Revert \"feat: x\"\n\nThis reverts commit bbbb000.",
                ),
                ("bbbb000", "feat: x"),
            ]),
            &BumpRules::default(),
        );
        assert_eq!(history.bump, Bump::Minor);
        assert_eq!(history.commits[2].bump, Bump::Minor);
    }

    #[test]
    fn fail_rule_is_reported_unless_reverted() {
        let mut rules = BumpRules::default();
        rules.insert("wip", Level::Fail).expect("valid");
        let failing = History::classify(range(&[("bbbb000", "wip: half done")]), &rules);
        let error = failing.check_failures().expect_err("wip must fail");
        assert_eq!(error.commits[0].0, "bbbb000");
        let reverted = History::classify(
            range(&[
                (
                    "cccc000",
                    "revert: half done\n\nThis reverts commit bbbb000.",
                ),
                ("bbbb000", "wip: half done"),
            ]),
            &rules,
        );
        assert!(reverted.check_failures().is_ok());
    }
}
