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
  libboost-dev nlohmann-json3-dev zlib1g-dev libturbojpeg0-dev libpng-dev
  libopenjp2-7-dev libavcodec-dev libavformat-dev libavutil-dev libswscale-dev
  # security: Argon2id password hashing, random tokens, SHA-256 (libsodium)
  libsodium-dev
  python3 python3-pydicom python3-numpy python3-pytest python3-pil python3-hl7 python3-jsonschema
  # OIDC tests: the test issuer signs JWTs (RS256, ES256) and publishes its JWKS
  python3-cryptography
  # test peers: an independent video tool, Orthanc + DICOMweb for comparison, the browser
  ffmpeg curl orthanc orthanc-dicomweb chromium
  # the viewer's second browser engine (e2e.firefox: puppeteer-core over WebDriver BiDi)
  firefox-esr
  # validation of the SR objects the viewer writes (dciodvfy)
  dicom3tools
  # SHA-256 of signed reports, JWT signatures (RS256, ES256) of OIDC tokens (libcrypto); TLS listeners
  # (libssl); test certificates (openssl CLI)
  libssl-dev openssl
  # report delivery: PDF (libharu + a Unicode TTF), checked with poppler's pdftoppm/pdftotext
  libhpdf-dev fonts-dejavu-core poppler-utils
)
if [[ "${1:-}" == "--bench" ]]; then
  packages+=(iperf3)
fi
# Node.js + npm (the viewer build and dicomweb-client tests): Debian's packages
# unless a node with npm is already there (e.g. NodeSource's nodejs bundles npm).
if ! command -v npm >/dev/null 2>&1; then
  packages+=(nodejs npm)
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

# The viewer (web/ -> web/dist, served at / by systole serve): dependencies
# installed when node_modules is missing or older than package-lock.json, npm run
# build when a source changed since the last build (stamp file).
# `npm install --no-save` (the pinned lock, not rewritten) rather than `npm ci`:
# Rollup lists its builds for every platform as optional dependencies, and a
# registry mirror that lacks the ones for other platforms leaves them out of the
# lock, which `npm ci` then refuses as "not in sync".
if [[ ! -d web/node_modules || web/package-lock.json -nt web/node_modules/.package-lock.json ]]; then
  echo "bootstrap: npm install (web)"
  (cd web && npm install --no-save --no-audit --no-fund --loglevel=error)
fi
web_stamp=web/dist/.build-stamp
if [[ ! -f $web_stamp ]] || [[ -n $(find web/src web/public web/index.html web/vite.config.ts web/tsconfig.json \
      web/package.json web/package-lock.json -newer "$web_stamp" -print -quit) ]]; then
  echo "bootstrap: building the viewer (web/dist)"
  (cd web && npm run --silent build)
  touch "$web_stamp"
fi

if [[ ! -f build/build.ninja ]]; then
  cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
fi
ninja -C build
