//! Command-line arguments. Doc comments are the help text.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

use crate::env;

/// Release and version management for teams that ship microservices.
#[derive(Debug, Parser)]
#[command(name = "verso", version, max_term_width = 100)]
pub(crate) struct Cli {
    #[command(subcommand)]
    pub(crate) command: Command,
    #[command(flatten)]
    pub(crate) global: GlobalArgs,
}

#[derive(Debug, Args)]
pub(crate) struct GlobalArgs {
    /// Run as if verso was started in this directory.
    #[arg(short = 'C', long = "directory", global = true, value_name = "DIR")]
    pub(crate) directory: Option<PathBuf>,
    /// Configuration file [default: `verso.toml` at the repository root].
    #[arg(long, global = true, env = env::VERSO_CONFIG, value_name = "FILE")]
    pub(crate) config: Option<PathBuf>,
}

#[derive(Debug, Subcommand)]
pub(crate) enum Command {
    /// Print the next version of the package, from the commits since its last release.
    Next(NextArgs),
    /// Explain a next version: the tag found, each commit and its level, the rule applied,
    /// and for a package of a monorepo the dependency edge that forced it.
    Explain(ExplainArgs),
    /// Plan the release of every package: current → next version, bump and why, in
    /// dependency order.
    Plan(PlanArgs),
    /// List the packages changed since their last release.
    Changed(PlanArgs),
    /// Release every package the plan bumps: write versions and changelogs, make one
    /// release commit, tag, publish in dependency order, push. Run it again to finish a
    /// release that stopped.
    Release(ReleaseArgs),
    /// Parse, compare, increment and match SemVer versions (node-semver semantics).
    #[command(subcommand)]
    Semver(SemverCommand),
    /// Write a conventional commit: prompts for type, scope (suggested from the packages the
    /// staged files belong to), description, body and breaking change, then runs
    /// `git commit`. Flags answer the prompts for scripts.
    Commit(CommitArgs),
    /// Install git hooks: `commit-msg` runs `verso lint`.
    #[command(subcommand)]
    Hook(HookCommand),
    /// Check a commit message file (for a `commit-msg` hook): exit 0 if conventional, 1 if not.
    Lint(LintArgs),
    /// Package, check, index, push and pull Helm charts (no helm binary needed).
    #[command(subcommand)]
    Chart(ChartCommand),
    /// Copy images between registries, digests unchanged, and read digests (no docker daemon
    /// needed).
    #[command(subcommand)]
    Image(ImageCommand),
    /// Run the delivery center: the REST API (`/api/v1`), Versions, the built-in chart
    /// repository (`/charts`) and hooks. SQLite in the data directory unless `DATABASE_URL`
    /// names a PostgreSQL server.
    Serve(ServeArgs),
}

/// How to reach registries and chart repositories.
#[derive(Debug, Clone, Args)]
pub(crate) struct RegistryArgs {
    /// Speak plain HTTP to this registry or repository host (`host[:port]`); registries on
    /// localhost and 127.0.0.1 always are. Repeatable.
    #[arg(long = "plain-http", value_name = "HOST")]
    pub(crate) plain_http: Vec<String>,
    /// Print the result as JSON.
    #[arg(long)]
    pub(crate) json: bool,
}

#[derive(Debug, Subcommand)]
pub(crate) enum ChartCommand {
    /// Package a chart folder into `<name>-<version>.tgz`, byte for byte the same for the same
    /// chart (sorted entries, fixed times), honouring `.helmignore`.
    Package {
        /// The chart folder (with Chart.yaml).
        #[arg(default_value = ".")]
        chart: PathBuf,
        /// Where to write the package.
        #[arg(short, long, default_value = ".", value_name = "DIR")]
        destination: PathBuf,
        /// Set the chart's version (SemVer 2) in the package.
        #[arg(long)]
        version: Option<String>,
        /// Set the chart's appVersion in the package.
        #[arg(long)]
        app_version: Option<String>,
        /// A YAML file deep-merged over values.yaml (`null` removes a key). Repeatable; later
        /// files win.
        #[arg(short = 'f', long = "values", value_name = "FILE")]
        values: Vec<PathBuf>,
        /// Print JSON (name, version, file, digest).
        #[arg(long)]
        json: bool,
    },
    /// Check charts (folders or .tgz packages): Chart.yaml (apiVersion, name, SemVer 2
    /// version), values.yaml, and for packages a safe layout under `<name>/`.
    Lint {
        /// Chart folders or packages.
        #[arg(required = true)]
        charts: Vec<PathBuf>,
    },
    /// Write `index.yaml` for the chart packages in a folder (recursively).
    Index {
        /// The folder with the .tgz packages.
        folder: PathBuf,
        /// The URL the folder is served at; package URLs are this plus the file's path.
        #[arg(long)]
        url: String,
        /// Merge into this existing index: its entries are kept as they are.
        #[arg(long, value_name = "FILE")]
        merge: Option<PathBuf>,
    },
    /// Push a chart (a .tgz, or a folder packaged on the way) to a ChartMuseum-compatible
    /// repository (`https://…`) or an OCI registry (`oci://host/path`). A version that is
    /// there with the same digest is left alone; with other content the push fails.
    Push {
        /// A chart package or folder.
        chart: PathBuf,
        /// `https://charts.example.com` or `oci://registry.example.com/charts`.
        repository: String,
        /// Login as USER:PASSWORD (else docker's config.json for OCI registries).
        #[arg(
            long,
            env = "VERSO_CHART_CREDS",
            hide_env_values = true,
            value_name = "USER:PASSWORD"
        )]
        creds: Option<String>,
        #[command(flatten)]
        registry: RegistryArgs,
    },
    /// Pull a chart by name and version (default: the highest stable one), check its digest
    /// and layout, and write the .tgz (or, with --untar, its files).
    Pull {
        /// `oci://host/path/name`, or a chart name with --repo.
        chart: String,
        /// A ChartMuseum-compatible or static repository URL (with index.yaml).
        #[arg(long)]
        repo: Option<String>,
        /// The chart version [default: the highest stable version].
        #[arg(long)]
        version: Option<String>,
        /// Where to write.
        #[arg(short, long, default_value = ".", value_name = "DIR")]
        destination: PathBuf,
        /// Write the chart's files into `<DIR>/<name>/` instead of the .tgz.
        #[arg(long)]
        untar: bool,
        /// Login as USER:PASSWORD (else docker's config.json for OCI registries).
        #[arg(
            long,
            env = "VERSO_CHART_CREDS",
            hide_env_values = true,
            value_name = "USER:PASSWORD"
        )]
        creds: Option<String>,
        #[command(flatten)]
        registry: RegistryArgs,
    },
}

#[derive(Debug, Subcommand)]
pub(crate) enum ImageCommand {
    /// Copy an image from one registry to another (or within one), registry to registry: every
    /// platform of an index, manifests unchanged so digests stay the same, blobs the target
    /// has skipped, blobs mounted instead of uploaded within one registry. Prints the digest.
    Copy {
        /// Source image, e.g. `registry.example.com/team/app:1.2.3`.
        source: String,
        /// Target image; without a tag, the source's tag.
        target: String,
        /// Copy the whole index, every platform (the default; kept for scripts).
        #[arg(long, conflicts_with = "platform")]
        all_platforms: bool,
        /// Copy only this platform's image out of an index (`linux/arm64`); its digest is then
        /// the platform manifest's.
        #[arg(long, value_name = "OS/ARCH[/VARIANT]")]
        platform: Option<String>,
        /// Login for the source registry as USER:PASSWORD.
        #[arg(
            long,
            env = "VERSO_SRC_CREDS",
            hide_env_values = true,
            value_name = "USER:PASSWORD"
        )]
        src_creds: Option<String>,
        /// Login for the target registry as USER:PASSWORD.
        #[arg(
            long,
            env = "VERSO_DEST_CREDS",
            hide_env_values = true,
            value_name = "USER:PASSWORD"
        )]
        dest_creds: Option<String>,
        /// Blobs transferred at once.
        #[arg(long, default_value_t = 4)]
        jobs: usize,
        #[command(flatten)]
        registry: RegistryArgs,
    },
    /// Print the digest of an image's manifest (the index for a multi-platform image).
    Digest {
        /// The image.
        image: String,
        /// Login as USER:PASSWORD (else docker's config.json).
        #[arg(
            long,
            env = "VERSO_REGISTRY_CREDS",
            hide_env_values = true,
            value_name = "USER:PASSWORD"
        )]
        creds: Option<String>,
        #[command(flatten)]
        registry: RegistryArgs,
    },
}

#[derive(Debug, Clone, Args)]
pub(crate) struct NextArgs {
    /// Print JSON instead of the bare version.
    #[arg(long)]
    pub(crate) json: bool,
    /// Only count commits that change this directory (relative to the repository root).
    #[arg(long, value_name = "DIR")]
    pub(crate) path: Option<String>,
    /// How release tags are named: `v{version}`, `{name}@{version}`, `{name}-v{version}`,
    /// `{name}-{version}`, `v{version}-{branch}`.
    #[arg(long, env = env::VERSO_TAG_TEMPLATE, value_name = "TEMPLATE", conflicts_with = "tag_prefix")]
    pub(crate) tag_template: Option<String>,
    /// Shorthand for `--tag-template <PREFIX>{version}`.
    #[arg(long, value_name = "PREFIX")]
    pub(crate) tag_prefix: Option<String>,
    /// Package name for the `{name}` placeholder.
    #[arg(long)]
    pub(crate) name: Option<String>,
    /// Use this tag as the last release instead of searching for one.
    #[arg(long, value_name = "TAG")]
    pub(crate) from_tag: Option<String>,
    /// Use this as the current version instead of reading it from the last tag.
    #[arg(long, value_name = "VERSION")]
    pub(crate) current_version: Option<String>,
    /// Prerelease channel (`alpha`, `beta`, `rc`, ...); `stable` for none.
    #[arg(long, env = env::VERSO_CHANNEL, value_name = "CHANNEL")]
    pub(crate) channel: Option<String>,
    /// How `0.y.z` versions move: `shift` (breaking → minor, feat → patch), `breaking-minor`
    /// (breaking → minor, feat → minor) or `off` (breaking → 1.0.0).
    #[arg(long, env = env::VERSO_INITIAL_DEVELOPMENT, value_name = "MODE")]
    pub(crate) initial_development: Option<String>,
    /// The first version when no release tag exists [default: 0.1.0].
    #[arg(long, value_name = "VERSION")]
    pub(crate) initial_version: Option<String>,
}

#[derive(Debug, Clone, Args)]
pub(crate) struct ExplainArgs {
    /// A package of the repository (see `verso plan`); without it, the repository (or
    /// `--path`) is explained as one package.
    pub(crate) package: Option<String>,
    #[command(flatten)]
    pub(crate) next: NextArgs,
}

#[derive(Debug, Clone, Args)]
pub(crate) struct PlanArgs {
    /// Print JSON instead of a table.
    #[arg(long)]
    pub(crate) json: bool,
    /// Prerelease channel (`alpha`, `beta`, `rc`, ...); `stable` for none.
    #[arg(long, env = env::VERSO_CHANNEL, value_name = "CHANNEL")]
    pub(crate) channel: Option<String>,
}

#[derive(Debug, Clone, Args)]
pub(crate) struct ReleaseArgs {
    /// Print every file diff, tag, commit message and command, and change nothing.
    #[arg(long)]
    pub(crate) dry_run: bool,
    /// Do not publish (files, commit and tags only; push unless `--no-push`).
    #[arg(long)]
    pub(crate) no_publish: bool,
    /// Do not push the commit and tags.
    #[arg(long)]
    pub(crate) no_push: bool,
    /// Print a JSON summary on stdout.
    #[arg(long)]
    pub(crate) json: bool,
    /// Finish an unfinished release; fail if there is none.
    #[arg(long, conflicts_with = "abort")]
    pub(crate) resume: bool,
    /// Undo the local commit and tags of an unfinished, unpublished release.
    #[arg(long)]
    pub(crate) abort: bool,
    /// Prerelease channel (`alpha`, `beta`, `rc`, ...); `stable` for none.
    #[arg(long, env = env::VERSO_CHANNEL, value_name = "CHANNEL")]
    pub(crate) channel: Option<String>,
    /// The date in changelog headings, `YYYY-MM-DD` [default: today, UTC, or
    /// `SOURCE_DATE_EPOCH`].
    #[arg(long, value_name = "DATE")]
    pub(crate) date: Option<String>,
}

#[derive(Debug, Subcommand)]
pub(crate) enum SemverCommand {
    /// Print a version as JSON.
    Parse { version: String },
    /// Print -1, 0 or 1 as `A` is lower than, equal to or higher than `B` in precedence.
    Compare { a: String, b: String },
    /// Print the version after an increment: major, minor, patch, premajor, preminor,
    /// prepatch, prerelease or release.
    Inc {
        version: String,
        release: String,
        /// Prerelease identifier, e.g. `beta`.
        preid: Option<String>,
        /// Number a new prerelease counter starts at: 0, 1, or false for none.
        #[arg(long, value_name = "BASE")]
        preid_base: Option<String>,
    },
    /// Print true or false as the version satisfies the npm range.
    Satisfies {
        version: String,
        range: String,
        /// Let prerelease versions match ranges that name no prerelease.
        #[arg(long)]
        include_prerelease: bool,
    },
    /// Sort versions read from standard input (one per line) by ascending precedence.
    Sort,
}

#[derive(Debug, Args)]
#[command(args_conflicts_with_subcommands = true)]
pub(crate) struct CommitArgs {
    #[command(subcommand)]
    pub(crate) command: Option<CommitCommand>,
    /// The type: feat, fix, docs, refactor, perf, test, build, ci, chore, ...
    #[arg(long = "type", short = 't', value_name = "TYPE")]
    pub(crate) kind: Option<String>,
    /// The scope; `-` for none [default: the package the staged files belong to].
    #[arg(long, short = 's')]
    pub(crate) scope: Option<String>,
    /// The description (the header after `type(scope): `).
    #[arg(long, short = 'm', value_name = "DESCRIPTION")]
    pub(crate) message: Option<String>,
    /// The body.
    #[arg(long)]
    pub(crate) body: Option<String>,
    /// Marks a breaking change, described by this text (a `BREAKING CHANGE:` footer).
    #[arg(long, value_name = "DESCRIPTION")]
    pub(crate) breaking: Option<String>,
    /// Print the message instead of committing.
    #[arg(long)]
    pub(crate) dry_run: bool,
}

#[derive(Debug, Subcommand)]
pub(crate) enum HookCommand {
    /// Write `.git/hooks/commit-msg` so that every commit message is checked by `verso lint`.
    Install {
        /// Replace an existing hook that verso did not write.
        #[arg(long)]
        force: bool,
    },
}

#[derive(Debug, Subcommand)]
pub(crate) enum CommitCommand {
    /// Parse one raw commit message from standard input.
    Parse {
        /// Print JSON (the only format so far).
        #[arg(long)]
        json: bool,
    },
}

#[derive(Debug, Args)]
pub(crate) struct LintArgs {
    /// The commit message file, e.g. `.git/COMMIT_EDITMSG`; `-` for standard input.
    pub(crate) file: PathBuf,
}

#[derive(Debug, Args)]
pub(crate) struct ServeArgs {
    /// Address and port to listen on.
    #[arg(long, default_value = "127.0.0.1:8080", env = "VERSO_LISTEN")]
    pub(crate) listen: std::net::SocketAddr,
    /// Where the SQLite database and the generated secret key live (default: the user's data
    /// directory, e.g. `~/.local/share/verso`).
    #[arg(long, env = "VERSO_DATA_DIR")]
    pub(crate) data_dir: Option<PathBuf>,
    /// The URL clients reach this server at, for chart URLs (default: `http://<listen>`).
    #[arg(long, env = "VERSO_PUBLIC_URL")]
    pub(crate) public_url: Option<String>,
    /// Require a token to read the chart repository too.
    #[arg(long, env = "VERSO_PRIVATE_CHARTS")]
    pub(crate) private_charts: bool,
    /// Job workers in this process.
    #[arg(long, default_value_t = 4)]
    pub(crate) workers: usize,
    /// Print the OpenAPI document and exit.
    #[arg(long)]
    pub(crate) openapi: bool,
}
