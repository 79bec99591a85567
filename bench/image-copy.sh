#!/usr/bin/env bash
# Measures `verso image copy` against `skopeo copy` (Debian's package) on one image of LAYERS
# layers x LAYER_MIB MiB, within one registry and across two registry processes (Debian's
# docker-registry), counting the bytes each tool sends to the target through a proxy.
#
#   bench/image-copy.sh [--layers N] [--layer-mib N] [--runs N]
#
# Prints wall time and bytes sent per case and tool, and the verso/skopeo time ratio.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
service=bench
source "$root/scripts/services/lib.sh"

command -v skopeo >/dev/null || apt_install skopeo
port_a=5301 port_b=5302
stop() {
  "$root/scripts/services/oci-registry.sh" stop --port "$port_a" || true
  "$root/scripts/services/oci-registry.sh" stop --port "$port_b" || true
}
trap stop EXIT
registry_a=$("$root/scripts/services/oci-registry.sh" start --port "$port_a" | sed -n 's/^REGISTRY_ADDR=//p')
registry_b=$("$root/scripts/services/oci-registry.sh" start --port "$port_b" | sed -n 's/^REGISTRY_ADDR=//p')
cargo build --quiet --release --manifest-path "$root/Cargo.toml" -p verso-cli
cargo bench --quiet --manifest-path "$root/Cargo.toml" -p verso-registry --bench image_copy -- \
  "$registry_a" "$registry_b" "$root/target/release/verso" "$@"
skopeo --version
