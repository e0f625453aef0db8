#!/usr/bin/env bash
# Installs everything podnet needs on Debian 12 with Node 20, then builds it.
# Safe to run again: it installs only what is missing.
set -euo pipefail
cd "$(dirname "$0")/.."

# System packages: gcc, the C library's and libnftables' headers (npm run build compiles the
# container launcher and the nftables helper, native/), the data plane's (namespaces, nftables,
# conntrack), its tests', openssl (the ingress controller makes its default certificate with it)
# and the standard CNI plugins
# (podnet-cni delegates IPAM to host-local; the pods benchmark compares with bridge), and chromium
# (the web view's browser tests, `npm run bench -- ui` and scripts/screenshots.sh drive it).
APT_PACKAGES=(gcc libc6-dev libnftables-dev util-linux iproute2 nftables conntrack ethtool iputils-ping iperf3 openssl containernetworking-plugins chromium)
missing=()
for pkg in "${APT_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
if [ "${#missing[@]}" -gt 0 ]; then
  if [ "$(id -u)" -eq 0 ]; then
    echo "setup: installing ${missing[*]}"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  else
    echo "setup: not root, skipping apt packages: ${missing[*]} (analysis works without them)" >&2
  fi
fi

# `npm install` rather than `npm ci`: the registry here serves only this platform's builds of
# optional native packages (rollup, esbuild), so the lock file cannot list the other platforms'
# and `npm ci` would refuse it. Locked versions are still honoured.
PUPPETEER_SKIP_DOWNLOAD=1 npm install --no-audit --no-fund
npm run build
