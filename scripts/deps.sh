#!/usr/bin/env bash
# Installs the Debian packages mtrace needs, only those missing.
#   deps.sh build   compilers and libraries
#   deps.sh test    the above, plus the independent witnesses the tests compare
#                   against (valgrind, strace, pmap) and Python for the drivers
#   deps.sh bench   the above, plus heaptrack for side-by-side overhead figures
set -euo pipefail
what=${1:-build}
pkgs=(cmake make gcc pkg-config libc6-dev libunwind-dev libjansson-dev libdw-dev libelf-dev
      libcriterion-dev libzstd-dev)
case $what in
  build) ;;
  test) pkgs+=(python3 python3-jsonschema valgrind strace procps clang libclang-rt-14-dev
             libjemalloc2 chromium) ;;
  bench) pkgs+=(python3 valgrind strace procps heaptrack zstd) ;;
  *) echo "deps.sh: unknown set '$what' (build, test or bench)" >&2; exit 1 ;;
esac
missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0
echo "installing: ${missing[*]}"
if [ "$(id -u)" -ne 0 ]; then
  echo "deps.sh: these Debian packages are missing and installing them needs root:" >&2
  echo "  apt-get install ${missing[*]}" >&2
  exit 1
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
