#!/usr/bin/env bash
# Builds the pvmlab image without any image registry: the binaries are
# built here, static (glibc, static-pie: names resolve from /etc/hosts and
# DNS), small (the `image` profile: optimised for size, stripped), then
# copied into an image FROM scratch.
set -euo pipefail
cd "$(dirname "$0")/.."
target=x86_64-unknown-linux-gnu
RUSTFLAGS="-C target-feature=+crt-static" \
  cargo build --profile image --target "$target" \
  -p pvmlab -p pvm-hmc -p pvm-fsp -p pvm-vios -p pvm-san
rm -rf docker/bin && mkdir -p docker/bin
for b in pvmlab pvm-hmc pvm-fsp pvm-vios pvm-san; do
  cp "target/$target/image/$b" docker/bin/
done
docker build -q -t pvmlab:latest docker >/dev/null
size=$(docker image inspect pvmlab:latest --format '{{.Size}}')
echo "image pvmlab:latest built: $((size / 1024 / 1024)) MB"
