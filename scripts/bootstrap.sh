#!/usr/bin/env bash
# Installs what Systole needs on Debian 12 (only what is missing), then
# configures and builds. Idempotent; fast when nothing changed.
#   scripts/bootstrap.sh            build dependencies + build
#   scripts/bootstrap.sh --bench    also the benchmark anchor (Orthanc)
set -euo pipefail
cd "$(dirname "$0")/.."

packages=(
  build-essential cmake ninja-build pkg-config
  dcmtk libdcmtk-dev libsqlite3-dev libtomlplusplus-dev libxxhash-dev libfmt-dev googletest libgtest-dev
  libboost-dev nlohmann-json3-dev
  python3 python3-pydicom python3-numpy python3-pytest python3-pil
)
if [[ "${1:-}" == "--bench" ]]; then
  packages+=(orthanc orthanc-dicomweb curl iperf3)
fi

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "bootstrap: installing ${missing[*]}"
  if [[ $(id -u) -ne 0 ]]; then
    echo "bootstrap: run as root (or: sudo apt-get install ${missing[*]})" >&2
    exit 1
  fi
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

if [[ ! -f build/build.ninja ]]; then
  cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
fi
ninja -C build
