//! The Helm publisher: the chart folder is packaged deterministically and pushed to an OCI
//! registry (`oci://…`) or a ChartMuseum-compatible repository (`https://…`), with the
//! artifact library, so no helm binary is needed. A version the repository already has with
//! the same digest is skipped (what a resumed release finds); with another digest it is an
//! error, since a published chart version cannot change.

use anyhow::{bail, Context as _};
use verso_registry::chart::{self, ChartRepository, Overrides, Pushed};
use verso_registry::oci::{Client, Credentials, Login};

use crate::publish::{Outcome, Target};

/// `USER:PASSWORD` for the chart repository, for repositories docker's config does not cover
/// (ChartMuseum's basic auth).
const CHART_CREDS: &str = "VERSO_CHART_CREDS";

pub(crate) fn publish(target: &Target<'_>, repository: &str) -> anyhow::Result<Outcome> {
    let destination: ChartRepository = repository.parse().map_err(anyhow::Error::msg)?;
    let loaded = chart::load_dir(target.directory)?;
    if loaded.metadata.name != target.name || loaded.metadata.version != target.version {
        bail!(
            "{}/Chart.yaml says {} {}, but the release is {} {}",
            target.directory.display(),
            loaded.metadata.name,
            loaded.metadata.version,
            target.name,
            target.version
        );
    }
    let package = chart::package(&loaded, &Overrides::default())?;
    let mut credentials = Credentials::from_docker_config()?;
    if let Ok(login) = std::env::var(CHART_CREDS) {
        credentials.insert(destination.host(), Login::parse(&login)?);
    }
    let client = Client::new(credentials, Vec::new());
    let pushed = chart::push(&client, &destination, &package)
        .with_context(|| format!("failed to push chart {} {}", target.name, target.version))?;
    Ok(match pushed {
        Pushed::Created { .. } => Outcome::Published,
        Pushed::Present { .. } => Outcome::Skipped,
    })
}
