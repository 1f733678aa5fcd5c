#!/usr/bin/env bash
# Installs the real clients the end-to-end tests drive (OpenSSH, sshpass,
# fence_lpar from fence-agents) from Debian's packages, and paramiko,
# toxiproxy-python, pypowervm, hmcscanner and power-hmc-mcp from PyPI,
# where they are missing and we may install them.
# Tests that need a tool that is still missing skip and say so.
set -u
need=()
command -v ssh >/dev/null 2>&1 && command -v ssh-keygen >/dev/null 2>&1 || need+=(openssh-client)
command -v sshpass >/dev/null 2>&1 || need+=(sshpass)
[ -x /usr/sbin/fence_lpar ] || need+=(fence-agents python3-pexpect)
if [ ${#need[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "tests/setup.sh: installing ${need[*]}"
    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need[@]}") >/dev/null 2>&1 \
      || echo "tests/setup.sh: could not install ${need[*]}; the tests that need them will skip"
  else
    echo "tests/setup.sh: ${need[*]} missing and cannot be installed here; the tests that need them will skip"
  fi
fi
# paramiko, for the MAAS power driver's command set.
if ! python3 -c 'import paramiko' >/dev/null 2>&1; then
  python3 -m pip install -q paramiko >/dev/null 2>&1 || echo "tests/setup.sh: could not install paramiko; the MAAS test will skip"
fi
# toxiproxy-python, the stock client of the Toxiproxy-compatible API.
if ! python3 -c 'import toxiproxy' >/dev/null 2>&1; then
  python3 -m pip install -q toxiproxy-python >/dev/null 2>&1 || echo "tests/setup.sh: could not install toxiproxy-python; the Toxiproxy test will skip"
fi
# pypowervm, the REST API's stock client.
if ! python3 -c 'import pypowervm' >/dev/null 2>&1; then
  python3 -m pip install -q pypowervm >/dev/null 2>&1 || echo "tests/setup.sh: could not install pypowervm; the REST test will skip"
fi
# HMC Scanner and power-hmc-mcp, the read-only scanners administrators run.
if ! python3 -c 'import hmcscanner' >/dev/null 2>&1; then
  python3 -m pip install -q hmcscanner==0.8 >/dev/null 2>&1 || echo "tests/setup.sh: could not install hmcscanner; its test will skip"
fi
if ! python3 -c 'import power_hmc_mcp' >/dev/null 2>&1; then
  python3 -m pip install -q power-hmc-mcp==0.7.1 >/dev/null 2>&1 || echo "tests/setup.sh: could not install power-hmc-mcp; its test will skip"
fi
exit 0
