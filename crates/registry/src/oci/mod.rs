//! OCI registries: references, the distribution API client, and image copies.

mod client;
mod copy;
mod distribution;
mod manifest;
mod reference;

pub use client::{Client, Credentials, Login, Scope};
pub use copy::{copy, CopyOptions, CopyReport, Platform};
pub use manifest::{Descriptor, Manifest, MediaType, MANIFEST_ACCEPT};
pub use reference::{is_local_host, Reference, DOCKER_HUB};
