#!/usr/bin/env bash
# Builds the pvmlab image without any image registry: the binaries are
# built here, static (glibc, static-pie: names resolve from /etc/hosts and
# DNS), small (the `image` profile: optimised for size, stripped), then
# copied into an image FROM scratch.
set -euo pipefail
cd "$(dirname "$0")/.."
target=x86_64-unknown-linux-gnu
# One binary: pvmlab runs as a node when called by the node's name, so
# the image holds it once and the nodes' names as links to it.
RUSTFLAGS="-C target-feature=+crt-static" \
  cargo build --profile image --target "$target" -p pvmlab --bin pvmlab
rm -rf docker/bin && mkdir -p docker/bin
cp "target/$target/image/pvmlab" docker/bin/
for b in pvm-hmc pvm-fsp pvm-vios pvm-san; do
  ln -s pvmlab "docker/bin/$b"
done
docker build -q -t pvmlab:latest docker >/dev/null
size=$(docker image inspect pvmlab:latest --format '{{.Size}}')
echo "image pvmlab:latest built: $((size / 1024 / 1024)) MB"
