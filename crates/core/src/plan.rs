//! Release planning for monorepos: from each package's own bump and its internal
//! dependencies to the version every package gets, why, and in which order to release them.
//!
//! - A bumped package bumps its internal dependents by a policy per dependency kind
//!   (runtime, peer and optional → patch, dev and build → none by default), transitively.
//!   With `only_when_out_of_range`, a dependent whose declared spec still accepts the new
//!   version is left alone. A dependent's own commits win when they ask for more.
//! - A dependency cycle is released as one: every package of the cycle gets the cycle's
//!   highest bump, and the cycle is reported.
//! - A fixed group shares one version: the highest bump of any member applied to the
//!   group's highest current version.
//! - Each dependent's new dependency spec is recorded with its operator kept (`^1.2.0` →
//!   `^1.3.0`, `workspace:^` as is, Cargo `"1.2"` → `"1.3"`).
//!
//! ```
//! use verso_core::bump::Bump;
//! use verso_core::plan::{plan_release, Dependency, DependencyKind, PackageInput, Propagation, SpecStyle};
//! let b = PackageInput::new("b", Some("1.2.0".parse().unwrap()), Bump::Patch);
//! let mut a = PackageInput::new("a", Some("2.0.0".parse().unwrap()), Bump::None);
//! a.dependencies.push(Dependency::new("b", DependencyKind::Runtime, "^1.2.0", SpecStyle::Npm));
//! let plan = plan_release(vec![a, b], &Propagation::default()).unwrap();
//! assert_eq!(plan.order, ["b", "a"]);
//! let a = &plan.packages[0];
//! assert_eq!(a.next_version.as_ref().unwrap().to_string(), "2.0.1");
//! assert_eq!(a.dependency_updates[0].to, "^1.2.1");
//! ```

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::fmt;

use serde::Serialize;

use crate::bump::Bump;
use crate::next_version::{next_version, NextError, NextOptions, NextVersion};
use crate::semver::{Range, Version};

/// How a package depends on another.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum DependencyKind {
    Runtime,
    Dev,
    Peer,
    Optional,
    Build,
}

/// The syntax of a dependency spec, which decides how it is read and rewritten.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SpecStyle {
    /// npm, pnpm, yarn (`^1.2.0`, `workspace:^`), also Helm chart constraints.
    Npm,
    /// Cargo requirements (`"1.2"` means `^1.2`).
    Cargo,
    /// PEP 440 specifiers (`>=1.2,<2`).
    Python,
}

/// One internal dependency as declared in a manifest.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Dependency {
    /// The package depended on.
    pub name: String,
    pub kind: DependencyKind,
    /// As written: `^1.2.0`, `workspace:^`, `1.2`; empty when only a path is given.
    pub spec: String,
    pub style: SpecStyle,
}

/// What the planner needs to know about one package.
#[derive(Debug, Clone)]
pub struct PackageInput {
    pub name: String,
    /// From the last tag (or the manifest); `None` before the first release.
    pub current: Option<Version>,
    /// The highest bump of the package's own commits since its last release.
    pub bump: Bump,
    pub options: NextOptions,
    pub dependencies: Vec<Dependency>,
    /// The fixed group the package belongs to, if any.
    pub group: Option<String>,
    /// Versions already tagged for this package anywhere.
    pub existing: Vec<Version>,
}

/// Bump policy for dependents.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Propagation {
    pub policy: BTreeMap<DependencyKind, Bump>,
    /// Skip a dependent whose declared spec still accepts the dependency's new version.
    pub only_when_out_of_range: bool,
}

/// Why a package is released.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Reason {
    /// Its own commits.
    Commits,
    /// An internal dependency was released.
    Dependency,
    /// Another member of its fixed group was released.
    FixedGroup,
    /// Nothing to release.
    None,
}

/// A dependency spec the release will rewrite.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DependencyUpdate {
    pub dependency: String,
    pub from: String,
    pub to: String,
}

/// The decision for one package.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlannedPackage {
    pub name: String,
    pub current_version: Option<Version>,
    pub next_version: Option<Version>,
    pub bump: Bump,
    pub reason: Reason,
    /// The released dependencies (or group members) that forced a bump.
    pub caused_by: Vec<String>,
    pub dependency_updates: Vec<DependencyUpdate>,
    /// The version rule applied, for `explain`.
    pub rule: String,
}

/// The whole plan.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReleasePlan {
    /// In the order given.
    pub packages: Vec<PlannedPackage>,
    /// Every package name, dependencies before dependents (cycle members by name).
    pub order: Vec<String>,
    /// Dependency cycles found, each sorted by name.
    pub cycles: Vec<Vec<String>>,
}

/// Why no plan can be made.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PlanError {
    #[error("two packages are named `{0}`")]
    DuplicateName(String),
    #[error("cannot compute the next version of `{package}`")]
    NextVersion {
        package: String,
        #[source]
        source: NextError,
    },
}

impl Dependency {
    pub fn new(name: &str, kind: DependencyKind, spec: &str, style: SpecStyle) -> Self {
        Dependency {
            name: name.to_owned(),
            kind,
            spec: spec.to_owned(),
            style,
        }
    }
}

impl PackageInput {
    /// A package with default options, no dependencies and no group.
    pub fn new(name: &str, current: Option<Version>, bump: Bump) -> Self {
        PackageInput {
            name: name.to_owned(),
            current,
            bump,
            options: NextOptions::default(),
            dependencies: Vec::new(),
            group: None,
            existing: Vec::new(),
        }
    }
}

impl Default for Propagation {
    fn default() -> Self {
        Propagation {
            policy: BTreeMap::from([
                (DependencyKind::Runtime, Bump::Patch),
                (DependencyKind::Peer, Bump::Patch),
                (DependencyKind::Optional, Bump::Patch),
                (DependencyKind::Dev, Bump::None),
                (DependencyKind::Build, Bump::None),
            ]),
            only_when_out_of_range: false,
        }
    }
}

impl fmt::Display for DependencyKind {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str(match self {
            DependencyKind::Runtime => "runtime",
            DependencyKind::Dev => "dev",
            DependencyKind::Peer => "peer",
            DependencyKind::Optional => "optional",
            DependencyKind::Build => "build",
        })
    }
}

/// Plans the release of `packages`.
pub fn plan_release(
    packages: Vec<PackageInput>,
    propagation: &Propagation,
) -> Result<ReleasePlan, PlanError> {
    let mut index: HashMap<&str, usize> = HashMap::new();
    for (position, package) in packages.iter().enumerate() {
        if index.insert(package.name.as_str(), position).is_some() {
            return Err(PlanError::DuplicateName(package.name.clone()));
        }
    }
    // dependents[d] = (dependent, dependency declaration index) for every internal edge d -> p.
    let mut dependents: Vec<Vec<(usize, usize)>> = vec![Vec::new(); packages.len()];
    for (position, package) in packages.iter().enumerate() {
        for (declaration, dependency) in package.dependencies.iter().enumerate() {
            if let Some(&target) = index.get(dependency.name.as_str()) {
                dependents[target].push((position, declaration));
            }
        }
    }
    let components = strongly_connected(&dependents);
    let cycles: Vec<Vec<usize>> = components
        .iter()
        .filter(|component| {
            component.len() > 1
                || dependents[component[0]]
                    .iter()
                    .any(|(dependent, _)| *dependent == component[0])
        })
        .cloned()
        .collect();
    let mut groups: BTreeMap<&str, Vec<usize>> = BTreeMap::new();
    for (position, package) in packages.iter().enumerate() {
        if let Some(group) = &package.group {
            groups.entry(group.as_str()).or_default().push(position);
        }
    }

    let mut bumps: Vec<Bump> = packages.iter().map(|package| package.bump).collect();
    let mut caused_by: Vec<BTreeSet<usize>> = vec![BTreeSet::new(); packages.len()];
    let mut grouped: Vec<bool> = vec![false; packages.len()];
    // Bumps only grow and are bounded, so this reaches a fixpoint.
    loop {
        let mut changed = false;
        let versions = next_versions(&packages, &bumps, &groups)?;
        for (dependency, edges) in dependents.iter().enumerate() {
            let Some(new_version) = &versions[dependency] else {
                continue;
            };
            for &(dependent, declaration) in edges {
                if dependent == dependency {
                    continue;
                }
                let declared = &packages[dependent].dependencies[declaration];
                let policy = propagation
                    .policy
                    .get(&declared.kind)
                    .copied()
                    .unwrap_or(Bump::None);
                if policy == Bump::None {
                    continue;
                }
                if propagation.only_when_out_of_range
                    && spec_accepts(declared, packages[dependency].current.as_ref(), new_version)
                {
                    continue;
                }
                caused_by[dependent].insert(dependency);
                if policy > bumps[dependent] {
                    bumps[dependent] = policy;
                    changed = true;
                }
            }
        }
        for members in cycles.iter().chain(groups.values()) {
            let highest = members.iter().map(|&member| bumps[member]).max();
            if let Some(highest) = highest.filter(|bump| *bump > Bump::None) {
                for &member in members {
                    if bumps[member] < highest {
                        bumps[member] = highest;
                        changed = true;
                        if packages[member].group.is_some() {
                            grouped[member] = true;
                        }
                    }
                }
            }
        }
        if !changed {
            break;
        }
    }

    let decisions = decide(&packages, &bumps, &groups)?;
    let versions: Vec<Option<Version>> = decisions.iter().map(|d| d.version.clone()).collect();
    let mut planned = Vec::with_capacity(packages.len());
    for (position, package) in packages.iter().enumerate() {
        let next = versions[position].clone();
        let reason = match (&next, bumps[position]) {
            (None, _) | (_, Bump::None) => Reason::None,
            _ if package.bump >= bumps[position] => Reason::Commits,
            _ if grouped[position] && caused_by[position].is_empty() => Reason::FixedGroup,
            _ if !caused_by[position].is_empty() => Reason::Dependency,
            _ => Reason::FixedGroup,
        };
        let mut causes: Vec<String> = caused_by[position]
            .iter()
            .filter(|&&cause| versions[cause].is_some())
            .map(|&cause| packages[cause].name.clone())
            .collect();
        if reason == Reason::FixedGroup {
            if let Some(group) = &package.group {
                causes = groups[group.as_str()]
                    .iter()
                    .filter(|&&member| member != position && packages[member].bump > Bump::None)
                    .map(|&member| packages[member].name.clone())
                    .collect();
            }
        }
        let dependency_updates = package
            .dependencies
            .iter()
            .filter_map(|dependency| {
                let target = *index.get(dependency.name.as_str())?;
                let new_version = versions[target].as_ref()?;
                let to = rewrite_spec(dependency, new_version)?;
                (to != dependency.spec).then(|| DependencyUpdate {
                    dependency: dependency.name.clone(),
                    from: dependency.spec.clone(),
                    to,
                })
            })
            .collect();
        planned.push(PlannedPackage {
            name: package.name.clone(),
            current_version: package.current.clone(),
            next_version: next,
            // As applied: a `0.y.z` version moves less than its commits ask.
            bump: if versions[position].is_some() {
                decisions[position].bump
            } else {
                Bump::None
            },
            reason,
            caused_by: if reason == Reason::None {
                Vec::new()
            } else {
                causes
            },
            dependency_updates,
            rule: decisions[position].rule.clone(),
        });
    }
    let order = release_order(&packages, &dependents, &components);
    let mut cycle_names: Vec<Vec<String>> = cycles
        .iter()
        .map(|cycle| {
            let mut names: Vec<String> = cycle
                .iter()
                .map(|&member| packages[member].name.clone())
                .collect();
            names.sort();
            names
        })
        .collect();
    cycle_names.sort();
    Ok(ReleasePlan {
        packages: planned,
        order,
        cycles: cycle_names,
    })
}

/// The next version of every package under `bumps`; fixed groups share one.
fn next_versions(
    packages: &[PackageInput],
    bumps: &[Bump],
    groups: &BTreeMap<&str, Vec<usize>>,
) -> Result<Vec<Option<Version>>, PlanError> {
    Ok(decide(packages, bumps, groups)?
        .into_iter()
        .map(|decision| decision.version)
        .collect())
}

fn decide(
    packages: &[PackageInput],
    bumps: &[Bump],
    groups: &BTreeMap<&str, Vec<usize>>,
) -> Result<Vec<NextVersion>, PlanError> {
    let mut decided: Vec<Option<NextVersion>> = vec![None; packages.len()];
    for members in groups.values() {
        let Some(&first) = members.first() else {
            continue;
        };
        let current = members
            .iter()
            .filter_map(|&member| packages[member].current.clone())
            .max();
        let bump = members
            .iter()
            .map(|&member| bumps[member])
            .max()
            .unwrap_or_default();
        let existing: Vec<Version> = members
            .iter()
            .flat_map(|&member| packages[member].existing.iter().cloned())
            .collect();
        let next = next_version(current.as_ref(), bump, &packages[first].options, &existing)
            .map_err(|source| PlanError::NextVersion {
                package: packages[first].name.clone(),
                source,
            })?;
        for &member in members {
            decided[member] = Some(next.clone());
        }
    }
    packages
        .iter()
        .enumerate()
        .map(|(position, package)| match decided[position].take() {
            Some(decision) => Ok(decision),
            None => next_version(
                package.current.as_ref(),
                bumps[position],
                &package.options,
                &package.existing,
            )
            .map_err(|source| PlanError::NextVersion {
                package: package.name.clone(),
                source,
            }),
        })
        .collect()
}

/// Whether a declared spec still accepts `version`. Protocol specs (`workspace:^`) are read
/// against the dependency's current version, as pnpm resolves them when publishing.
fn spec_accepts(dependency: &Dependency, current: Option<&Version>, version: &Version) -> bool {
    let Some(range) = spec_range(dependency, current) else {
        return false;
    };
    Range::parse_with(&range, Default::default())
        .map(|range| range.satisfies(version))
        .unwrap_or(false)
}

/// The npm range a spec stands for, if it stands for one.
fn spec_range(dependency: &Dependency, current: Option<&Version>) -> Option<String> {
    let spec = dependency.spec.trim();
    match dependency.style {
        SpecStyle::Npm => match spec.strip_prefix("workspace:") {
            Some("*") => Some("*".to_owned()),
            Some(operator @ ("^" | "~")) => current.map(|version| format!("{operator}{version}")),
            Some(rest) => Some(rest.to_owned()),
            None if spec.contains(':') => None,
            None => Some(spec.to_owned()),
        },
        SpecStyle::Cargo => Some(
            spec.split(',')
                .map(|part| {
                    let part = part.trim();
                    if part.starts_with(|c: char| c.is_ascii_digit()) {
                        format!("^{part}")
                    } else {
                        part.to_owned()
                    }
                })
                .collect::<Vec<_>>()
                .join(" "),
        ),
        SpecStyle::Python => Some(
            spec.split(',')
                .map(|part| {
                    let part = part.trim();
                    if let Some(rest) = part.strip_prefix("~=") {
                        format!("^{rest}")
                    } else if let Some(rest) = part.strip_prefix("==") {
                        format!("={rest}")
                    } else {
                        part.to_owned()
                    }
                })
                .collect::<Vec<_>>()
                .join(" "),
        ),
    }
}

/// The spec after the dependency moves to `version`, operator and precision kept; `None`
/// when the spec is not a single version with an operator (`*`, `workspace:^`, a range with
/// several comparators, a path or URL), which is left as written.
pub fn rewrite_spec(dependency: &Dependency, version: &Version) -> Option<String> {
    let spec = dependency.spec.trim();
    if spec.is_empty() {
        return None;
    }
    if let Some(rest) = spec.strip_prefix("workspace:") {
        if matches!(rest, "*" | "^" | "~") {
            return None;
        }
        let inner = Dependency {
            spec: rest.to_owned(),
            ..dependency.clone()
        };
        return rewrite_spec(&inner, version).map(|rewritten| format!("workspace:{rewritten}"));
    }
    let operators: &[&str] = match dependency.style {
        SpecStyle::Npm | SpecStyle::Cargo => &[">=", "<=", "^", "~", "=", ">", "<", ""],
        SpecStyle::Python => &["~=", "==", ">=", "<=", ">", "<", ""],
    };
    let operator = operators
        .iter()
        .find(|operator| spec.starts_with(**operator))
        .copied()
        .unwrap_or("");
    let written = spec[operator.len()..].trim_start();
    let precision = written.split('.').count();
    let numeric = written
        .split(['.', '-', '+'])
        .take(precision.min(3))
        .all(|part| !part.is_empty() && part.bytes().all(|byte| byte.is_ascii_digit()));
    if !numeric || written.contains([' ', ',', '|', '*', 'x', 'X']) || precision > 3 {
        return None;
    }
    let new = if precision >= 3 || version.is_prerelease() {
        version.without_build().to_string()
    } else if precision == 2 {
        format!("{}.{}", version.major, version.minor)
    } else {
        version.major.to_string()
    };
    Some(format!("{operator}{new}"))
}

/// Tarjan's strongly connected components over `dependency -> dependent` edges.
fn strongly_connected(edges: &[Vec<(usize, usize)>]) -> Vec<Vec<usize>> {
    struct State<'a> {
        edges: &'a [Vec<(usize, usize)>],
        index: Vec<Option<usize>>,
        low: Vec<usize>,
        on_stack: Vec<bool>,
        stack: Vec<usize>,
        next: usize,
        components: Vec<Vec<usize>>,
    }
    fn connect(state: &mut State<'_>, node: usize) {
        state.index[node] = Some(state.next);
        state.low[node] = state.next;
        state.next += 1;
        state.stack.push(node);
        state.on_stack[node] = true;
        for &(target, _) in &state.edges[node] {
            match state.index[target] {
                None => {
                    connect(state, target);
                    state.low[node] = state.low[node].min(state.low[target]);
                }
                Some(target_index) if state.on_stack[target] => {
                    state.low[node] = state.low[node].min(target_index);
                }
                Some(_) => {}
            }
        }
        if Some(state.low[node]) == state.index[node] {
            let mut component = Vec::new();
            while let Some(member) = state.stack.pop() {
                state.on_stack[member] = false;
                component.push(member);
                if member == node {
                    break;
                }
            }
            component.sort_unstable();
            state.components.push(component);
        }
    }
    let mut state = State {
        edges,
        index: vec![None; edges.len()],
        low: vec![0; edges.len()],
        on_stack: vec![false; edges.len()],
        stack: Vec::new(),
        next: 0,
        components: Vec::new(),
    };
    for node in 0..edges.len() {
        if state.index[node].is_none() {
            connect(&mut state, node);
        }
    }
    state.components
}

/// Dependencies first: a topological order of the components, ties broken by name.
fn release_order(
    packages: &[PackageInput],
    dependents: &[Vec<(usize, usize)>],
    components: &[Vec<usize>],
) -> Vec<String> {
    let mut component_of = vec![0; packages.len()];
    for (position, component) in components.iter().enumerate() {
        for &member in component {
            component_of[member] = position;
        }
    }
    let mut incoming = vec![0usize; components.len()];
    let mut successors: Vec<BTreeSet<usize>> = vec![BTreeSet::new(); components.len()];
    for (dependency, edges) in dependents.iter().enumerate() {
        for &(dependent, _) in edges {
            let (from, to) = (component_of[dependency], component_of[dependent]);
            if from != to && successors[from].insert(to) {
                incoming[to] += 1;
            }
        }
    }
    let name_of = |component: usize| {
        components[component]
            .iter()
            .map(|&member| packages[member].name.as_str())
            .min()
            .unwrap_or("")
    };
    let mut ready: BTreeSet<(&str, usize)> = (0..components.len())
        .filter(|&component| incoming[component] == 0)
        .map(|component| (name_of(component), component))
        .collect();
    let mut order = Vec::with_capacity(packages.len());
    while let Some(first) = ready.pop_first() {
        let component = first.1;
        let mut names: Vec<&str> = components[component]
            .iter()
            .map(|&member| packages[member].name.as_str())
            .collect();
        names.sort_unstable();
        order.extend(names.into_iter().map(str::to_owned));
        for &next in &successors[component] {
            incoming[next] -= 1;
            if incoming[next] == 0 {
                ready.insert((name_of(next), next));
            }
        }
    }
    order
}

#[cfg(test)]
mod tests {
    use super::*;

    fn package(
        name: &str,
        current: &str,
        bump: Bump,
        dependencies: &[(&str, &str)],
    ) -> PackageInput {
        let mut input = PackageInput::new(name, Some(current.parse().expect("valid")), bump);
        input.dependencies = dependencies
            .iter()
            .map(|(target, spec)| {
                Dependency::new(target, DependencyKind::Runtime, spec, SpecStyle::Npm)
            })
            .collect();
        input
    }

    fn summary(plan: &ReleasePlan) -> Vec<String> {
        plan.packages
            .iter()
            .map(|package| {
                format!(
                    "{} {} {:?}",
                    package.name,
                    package
                        .next_version
                        .as_ref()
                        .map_or_else(|| "-".to_owned(), ToString::to_string),
                    package.reason
                )
            })
            .collect()
    }

    #[test]
    fn chain_propagates_transitively_in_dependency_order() {
        let plan = plan_release(
            vec![
                package("a", "1.0.0", Bump::None, &[("b", "^1.0.0")]),
                package("b", "1.0.0", Bump::None, &[("c", "^1.0.0")]),
                package("c", "1.0.0", Bump::Minor, &[]),
            ],
            &Propagation::default(),
        )
        .expect("plan");
        assert_eq!(
            summary(&plan),
            [
                "a 1.0.1 Dependency",
                "b 1.0.1 Dependency",
                "c 1.1.0 Commits"
            ]
        );
        assert_eq!(plan.order, ["c", "b", "a"]);
        assert_eq!(plan.packages[0].caused_by, ["b"]);
        assert_eq!(plan.packages[1].dependency_updates[0].to, "^1.1.0");
    }

    #[test]
    fn own_commits_win_when_higher_and_dev_dependencies_do_not_propagate() {
        let mut tool = package("tool", "1.0.0", Bump::None, &[]);
        tool.dependencies.push(Dependency::new(
            "lib",
            DependencyKind::Dev,
            "^1.0.0",
            SpecStyle::Npm,
        ));
        let plan = plan_release(
            vec![
                package("app", "2.0.0", Bump::Minor, &[("lib", "^1.0.0")]),
                package("lib", "1.0.0", Bump::Patch, &[]),
                tool,
            ],
            &Propagation::default(),
        )
        .expect("plan");
        assert_eq!(
            summary(&plan),
            ["app 2.1.0 Commits", "lib 1.0.1 Commits", "tool - None"]
        );
        assert_eq!(plan.packages[2].dependency_updates[0].to, "^1.0.1");
    }

    #[test]
    fn diamond_bumps_the_top_once() {
        let plan = plan_release(
            vec![
                package(
                    "top",
                    "1.0.0",
                    Bump::None,
                    &[("left", "^1.0.0"), ("right", "^1.0.0")],
                ),
                package("left", "1.0.0", Bump::None, &[("base", "^1.0.0")]),
                package("right", "1.0.0", Bump::None, &[("base", "^1.0.0")]),
                package("base", "1.0.0", Bump::Major, &[]),
            ],
            &Propagation::default(),
        )
        .expect("plan");
        assert_eq!(
            summary(&plan),
            [
                "top 1.0.1 Dependency",
                "left 1.0.1 Dependency",
                "right 1.0.1 Dependency",
                "base 2.0.0 Commits"
            ]
        );
        assert_eq!(plan.order, ["base", "left", "right", "top"]);
        assert_eq!(plan.packages[0].caused_by, ["left", "right"]);
    }

    #[test]
    fn a_cycle_is_released_as_one_and_reported() {
        let plan = plan_release(
            vec![
                package("x", "1.0.0", Bump::Minor, &[("y", "^1.0.0")]),
                package("y", "1.0.0", Bump::None, &[("x", "^1.0.0")]),
                package("z", "1.0.0", Bump::None, &[("y", "^1.0.0")]),
            ],
            &Propagation::default(),
        )
        .expect("plan");
        assert_eq!(
            summary(&plan),
            [
                "x 1.1.0 Commits",
                "y 1.1.0 Dependency",
                "z 1.0.1 Dependency"
            ]
        );
        assert_eq!(plan.cycles, [vec!["x".to_owned(), "y".to_owned()]]);
        assert_eq!(plan.order, ["x", "y", "z"]);
    }

    #[test]
    fn fixed_group_shares_the_highest_bump_beside_independent_packages() {
        let mut core = package("core", "2.1.0", Bump::Minor, &[]);
        core.group = Some("platform".into());
        let mut cli = package("cli", "2.0.0", Bump::None, &[]);
        cli.group = Some("platform".into());
        let solo = package("solo", "0.3.0", Bump::Patch, &[]);
        let plan = plan_release(vec![core, cli, solo], &Propagation::default()).expect("plan");
        assert_eq!(
            summary(&plan),
            [
                "core 2.2.0 Commits",
                "cli 2.2.0 FixedGroup",
                "solo 0.3.1 Commits"
            ]
        );
        assert_eq!(plan.packages[1].caused_by, ["core"]);
    }

    #[test]
    fn only_when_out_of_range_skips_dependents_that_still_accept_the_new_version() {
        let propagation = Propagation {
            only_when_out_of_range: true,
            ..Propagation::default()
        };
        let plan = plan_release(
            vec![
                package("loose", "1.0.0", Bump::None, &[("lib", "^1.0.0")]),
                package("pinned", "1.0.0", Bump::None, &[("lib", "1.0.0")]),
                package("lib", "1.0.0", Bump::Minor, &[]),
            ],
            &propagation,
        )
        .expect("plan");
        assert_eq!(
            summary(&plan),
            [
                "loose - None",
                "pinned 1.0.1 Dependency",
                "lib 1.1.0 Commits"
            ]
        );
        assert_eq!(plan.packages[0].dependency_updates[0].to, "^1.1.0");
        assert_eq!(plan.packages[1].dependency_updates[0].to, "1.1.0");
    }

    #[test]
    fn rewrites_specs_keeping_operator_and_precision() {
        let version: Version = "1.3.0".parse().expect("valid");
        for (style, spec, expected) in [
            (SpecStyle::Npm, "^1.2.0", Some("^1.3.0")),
            (SpecStyle::Npm, "~1.2.0", Some("~1.3.0")),
            (SpecStyle::Npm, "1.2.0", Some("1.3.0")),
            (SpecStyle::Npm, ">=1.2.0", Some(">=1.3.0")),
            (SpecStyle::Npm, "workspace:^", None),
            (SpecStyle::Npm, "workspace:*", None),
            (SpecStyle::Npm, "workspace:^1.2.0", Some("workspace:^1.3.0")),
            (SpecStyle::Npm, "*", None),
            (SpecStyle::Npm, ">=1.0.0 <2.0.0", None),
            (SpecStyle::Npm, "file:../lib", None),
            (SpecStyle::Cargo, "1.2", Some("1.3")),
            (SpecStyle::Cargo, "=1.2.0", Some("=1.3.0")),
            (SpecStyle::Cargo, "", None),
            (SpecStyle::Python, ">=1.2", Some(">=1.3")),
            (SpecStyle::Python, "~=1.2.0", Some("~=1.3.0")),
            (SpecStyle::Npm, "~1.2", Some("~1.3")),
        ] {
            let dependency = Dependency::new("lib", DependencyKind::Runtime, spec, style);
            assert_eq!(
                rewrite_spec(&dependency, &version).as_deref(),
                expected,
                "{style:?} {spec:?}"
            );
        }
    }

    #[test]
    fn duplicate_names_are_refused() {
        let error = plan_release(
            vec![
                package("a", "1.0.0", Bump::None, &[]),
                package("a", "1.0.0", Bump::None, &[]),
            ],
            &Propagation::default(),
        )
        .expect_err("duplicate");
        assert_eq!(error, PlanError::DuplicateName("a".into()));
    }
}
