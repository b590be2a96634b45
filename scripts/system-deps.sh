#!/usr/bin/env bash
# Installs the Debian packages the test suite runs against (real servers, not fakes),
# skipping those already present. Needs root on a fresh machine; apt does not start services.
set -euo pipefail
# prometheus: test/e2e/prometheus.test.ts runs /usr/bin/prometheus (Debian 2.42).
# chromium: test/e2e/dashboard*.test.ts drive /usr/bin/chromium with playwright-core (fonts-dejavu-core: legible screenshots).
# haproxy, nginx, wrk: npm run bench:proxy measures the embedded proxy against HAProxy 2.6 and nginx 1.22 with wrk.
# openssl: src/proxy/tls.test.ts makes certificates; python3: src/proxy/testing.ts blackholeUrl (a listener that never accepts).
PACKAGES=(prometheus chromium fonts-dejavu-core haproxy nginx wrk openssl python3 ${SLUICE_TEST_PACKAGES:-})
missing=()
for p in "${PACKAGES[@]}"; do
  dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" != 0 ]; then
    echo "system-deps: missing ${missing[*]}; run as root or install them: apt-get install -y ${missing[*]}" >&2
    exit 1
  fi
  echo "system-deps: installing ${missing[*]}" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -q
  apt-get install -y -q --no-install-recommends "${missing[@]}"
fi
