//! The artifacts verso moves between machines: Helm charts and OCI images.
//!
//! - [`chart`]: deterministic chart packages, safe reading of chart archives, chart repository
//!   indexes, and pushing/pulling charts to ChartMuseum-compatible repositories and OCI registries.
//! - [`oci`]: image references, a registry client (HTTPS or plain HTTP for local registries,
//!   basic and bearer auth, retries) and a registry-to-registry image copy that keeps digests.
//!
//! Everything here talks to real registries over HTTP; nothing needs a docker daemon or the
//! helm binary.

pub mod chart;
pub mod digest;
mod error;
pub mod http;
pub mod oci;
pub mod time;

pub use error::Error;
