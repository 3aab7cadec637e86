#!/usr/bin/env bash
# A real mediasoup worker for the end-to-end tests and the demo, built from the npm package's own
# sources with Debian's toolchain and libraries (no prebuilt download, nothing from PyPI or
# GitHub), cached outside the clone so a machine builds it once.
#
#   bash scripts/mediasoup-worker.sh               prints the worker's path; builds it if missing
#   bash scripts/mediasoup-worker.sh --print-path  prints the worker's path; fails if not built
#
# The cache key is the mediasoup version and integrity locked in package-lock.json, the Debian
# release and architecture, the versions of the Debian libraries the worker is built against, and
# a hash of scripts/mediasoup-worker/{standins,patches}/ (details in the README there). A
# set MEDIASOUP_WORKER_BIN wins over the cache (mediasoup itself honours it too). Cache root:
# $VAS_FRAME_EXPORT_CACHE, default /var/cache/vas-frame-export. Build jobs:
# $MEDIASOUP_WORKER_JOBS (default 2), under nice -n 19. Progress goes
# to stderr; stdout is only the path. Every failure is one line on stderr.
set -euo pipefail

repo="$(cd "$(dirname "$0")/.." && pwd)"
standins="$repo/scripts/mediasoup-worker/standins"
patches="$repo/scripts/mediasoup-worker/patches"
cache="${VAS_FRAME_EXPORT_CACHE:-/var/cache/vas-frame-export}"
jobs="${MEDIASOUP_WORKER_JOBS:-2}"
mode="${1:-build}"

say() { echo "mediasoup-worker: $*" >&2; }
die() { echo "mediasoup-worker: $*" >&2; exit 1; }

case "$mode" in
  build | --print-path) ;;
  *) die "unknown argument '$mode' (expected nothing or --print-path)" ;;
esac

if [ -n "${MEDIASOUP_WORKER_BIN:-}" ]; then
  [ -x "$MEDIASOUP_WORKER_BIN" ] || die "MEDIASOUP_WORKER_BIN=$MEDIASOUP_WORKER_BIN is not an executable file"
  echo "$MEDIASOUP_WORKER_BIN"
  exit 0
fi

# Debian packages: what the build needs, and the libraries whose versions key the cache.
build_packages=(g++ pkg-config ninja-build python3 patch libuv1-dev libssl-dev libsrtp2-dev libabsl-dev
  libflatbuffers-dev flatbuffers-compiler)
key_package_patterns=('libuv1' 'libssl3*' 'libsrtp2-1' 'libabsl2*' 'libflatbuffers-dev')

locked_mediasoup() {
  node -e '
    const lock = require(process.argv[1]);
    const entry = lock.packages && lock.packages["node_modules/mediasoup"];
    if (!entry || !entry.version || !entry.integrity) process.exit(1);
    console.log(entry.version + " " + entry.integrity);
  ' "$repo/package-lock.json" 2>/dev/null || die "package-lock.json has no locked mediasoup (version and integrity)"
}

cache_key() {
  local version="$1" integrity="$2" os arch libs inputs_hash
  os="$(. /etc/os-release && echo "${ID:-unknown}-${VERSION_ID:-unknown}")"
  arch="$(uname -m)"
  libs="$({ dpkg-query -W -f '${db:Status-Abbrev}${Package}=${Version}\n' "${key_package_patterns[@]}" 2>/dev/null || true; } |
    sed -n 's/^ii *//p' | sort | tr '\n' ' ')"
  inputs_hash="$(cd "$repo/scripts/mediasoup-worker" && find standins patches -type f -print0 | sort -z | xargs -0 sha256sum | sha256sum | cut -c1-16)"
  printf '%s\n' "mediasoup=$version integrity=$integrity os=$os arch=$arch libs=[$libs] standins+patches=$inputs_hash"
}

worker_dir_for() {
  local version="$1" key="$2"
  echo "$cache/mediasoup-worker/$version-$(printf '%s' "$key" | sha256sum | cut -c1-16)"
}

# A cached worker counts only if every shared library it needs resolves.
usable() {
  [ -x "$1" ] && ! ldd "$1" 2>/dev/null | grep -q 'not found'
}

locked="$(locked_mediasoup)"
version="${locked%% *}"
integrity="${locked#* }"
key="$(cache_key "$version" "$integrity")"
dir="$(worker_dir_for "$version" "$key")"
bin="$dir/mediasoup-worker"

if usable "$bin"; then
  echo "$bin"
  exit 0
fi
if [ "$mode" = "--print-path" ]; then
  die "no mediasoup $version worker built for this machine (expected $bin); run: bash scripts/mediasoup-worker.sh"
fi

# --- Build -------------------------------------------------------------------------------------

mkdir -p "$cache/mediasoup-worker" 2>/dev/null || die "cannot create the cache directory $cache (set VAS_FRAME_EXPORT_CACHE)"
exec 9>"$cache/mediasoup-worker/.lock"
flock 9 # one build per machine; a second caller waits and then reuses it

missing=()
for pkg in "${build_packages[@]}"; do
  dpkg-query -W -f '${db:Status-Abbrev}' "$pkg" 2>/dev/null | grep -q '^ii' || missing+=("$pkg")
done
if [ ${#missing[@]} -gt 0 ]; then
  [ "$(id -u)" -eq 0 ] || die "missing Debian packages: ${missing[*]}; run as root: apt-get install -y ${missing[*]}"
  say "installing ${missing[*]}"
  apt-get update -qq >&2 || die "apt-get update failed"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2 ||
    die "apt-get install ${missing[*]} failed"
  # The library versions may have changed with the install: recompute the key.
  key="$(cache_key "$version" "$integrity")"
  dir="$(worker_dir_for "$version" "$key")"
  bin="$dir/mediasoup-worker"
fi
if usable "$bin"; then # another caller built it while this one waited for the lock
  echo "$bin"
  exit 0
fi

# meson >= 1.1 (the worker's minimum). Debian 12 has 1.0.1; bookworm-backports has a pure Python
# meson, fetched with a private apt configuration (system apt sources are not changed) and
# unpacked into the cache, never installed.
meson_ok() { "$@" --version 2>/dev/null | awk -F. '{ exit !($1 > 1 || ($1 == 1 && $2 >= 1)) }'; }
meson=()
if command -v meson >/dev/null 2>&1 && meson_ok meson; then
  meson=(meson)
else
  codename="$(. /etc/os-release && echo "${VERSION_CODENAME:-}")"
  [ -n "$codename" ] || die "cannot tell the Debian codename from /etc/os-release (needed for $codename-backports meson)"
  meson_root="$cache/meson/$codename-backports"
  run_meson=(env "PYTHONPATH=$meson_root/usr/lib/python3/dist-packages" /usr/bin/python3 "$meson_root/usr/bin/meson")
  if ! meson_ok "${run_meson[@]}"; then
    archive="$(apt-get indextargets --format '$(REPO_URI) $(RELEASE)' 'Created-By: Packages' 2>/dev/null |
      awk -v s="$codename" '$2 == s { print $1; exit }')"
    [ -n "$archive" ] || die "no apt source for Debian $codename found (needed to fetch meson from $codename-backports)"
    apt_dir="$(mktemp -d)"
    trap 'rm -rf "$apt_dir"' EXIT
    mkdir -p "$apt_dir/lists/partial" "$apt_dir/cache/archives/partial" "$apt_dir/sources.list.d"
    echo "deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] $archive $codename-backports main" >"$apt_dir/sources.list"
    cat >"$apt_dir/apt.conf" <<EOF
Dir::Etc::sourcelist "$apt_dir/sources.list";
Dir::Etc::sourceparts "$apt_dir/sources.list.d";
Dir::State::lists "$apt_dir/lists";
Dir::Cache "$apt_dir/cache";
EOF
    # apt drops to its sandbox user for downloads; let it write there.
    if id _apt >/dev/null 2>&1; then chown -R _apt "$apt_dir" && chmod 755 "$apt_dir"; fi
    say "fetching meson from $codename-backports ($archive)"
    APT_CONFIG="$apt_dir/apt.conf" apt-get update -qq >&2 || die "apt-get update of $codename-backports failed"
    (cd "$apt_dir" && APT_CONFIG="$apt_dir/apt.conf" apt-get download -qq "meson/$codename-backports" >&2) ||
      die "apt-get download meson/$codename-backports failed"
    rm -rf "$meson_root.tmp" && mkdir -p "$meson_root.tmp"
    dpkg -x "$apt_dir"/meson_*.deb "$meson_root.tmp" || die "cannot unpack $(ls "$apt_dir"/meson_*.deb)"
    rm -rf "$meson_root" && mv "$meson_root.tmp" "$meson_root"
    meson_ok "${run_meson[@]}" || die "meson from $codename-backports is older than 1.1 or does not run"
  fi
  meson=("${run_meson[@]}")
fi

work="$cache/mediasoup-worker/build-$version-$$"
log="$cache/mediasoup-worker/build-$version.log"
rm -rf "$work" && mkdir -p "$work"
trap 'rm -rf "$work" ${apt_dir:+"$apt_dir"}' EXIT
: >"$log"

# The worker's sources: the npm tarball of the locked version, checked against the lock file.
say "fetching mediasoup@$version from npm"
tarball="$(cd "$work" && npm pack --silent "mediasoup@$version" 2>>"$log" | tail -n 1)"
[ -f "$work/$tarball" ] || die "npm pack mediasoup@$version failed (see $log)"
actual="$(node -e '
  const [file, integrity] = process.argv.slice(1);
  const algo = integrity.split("-")[0];
  const data = require("fs").readFileSync(file);
  console.log(algo + "-" + require("crypto").createHash(algo).update(data).digest("base64"));
' "$work/$tarball" "$integrity")"
[ "$actual" = "$integrity" ] || die "mediasoup@$version tarball integrity $actual does not match package-lock.json"
tar -xzf "$work/$tarball" -C "$work" package/worker || die "cannot unpack $tarball"
src="$work/package/worker"

# Fixes to mediasoup's own sources, each explained in its header (scripts/mediasoup-worker/patches).
for fix in "$patches"/*.patch; do
  [ -e "$fix" ] || continue
  patch -p1 --batch --forward --quiet -d "$work/package" -i "$fix" >>"$log" 2>&1 ||
    die "$(basename "$fix") does not apply to mediasoup $version (see $log)"
done

# Each subproject the worker uses gets its stand-in, in the folder its .wrap names.
for wrap in "$src"/subprojects/*.wrap; do
  name="$(basename "$wrap" .wrap)"
  case "$name" in catch2 | wingetopt) continue ;; esac # tests only; Windows only
  [ -d "$standins/$name" ] || die "mediasoup $version needs subproject '$name', which has no stand-in in scripts/mediasoup-worker/standins"
  target="$(sed -n 's/^directory *= *//p' "$wrap")"
  [ -n "$target" ] || die "$wrap has no 'directory =' line"
  cp -r "$standins/$name" "$src/subprojects/$target"
  cp "$standins/empty.c" "$src/subprojects/$target/"
done

started=$(date +%s)
say "building mediasoup $version worker with $jobs jobs under nice -n 19 (about 12 min at one job on 2 cores; log: $log)"
(cd "$src" && "${meson[@]}" setup --wrap-mode=nodownload --buildtype release -Db_ndebug=true BUILD) >>"$log" 2>&1 ||
  die "meson setup failed (see $log)"
nice -n 19 ninja -C "$src/BUILD" -j "$jobs" mediasoup-worker >>"$log" 2>&1 || die "ninja failed (see $log)"
usable "$src/BUILD/mediasoup-worker" || die "the built worker does not resolve its shared libraries (see ldd $src/BUILD/mediasoup-worker)"
elapsed=$(($(date +%s) - started))

rm -rf "$dir.tmp" && mkdir -p "$dir.tmp"
cp "$src/BUILD/mediasoup-worker" "$dir.tmp/mediasoup-worker"
{
  echo "key: $key"
  echo "built: $(date -u +%Y-%m-%dT%H:%M:%SZ) in ${elapsed}s with $jobs jobs"
  echo "meson: $("${meson[@]}" --version)"
  echo "sha256: $(sha256sum "$dir.tmp/mediasoup-worker" | cut -d' ' -f1)"
} >"$dir.tmp/BUILD-INFO"
rm -rf "$dir" && mv "$dir.tmp" "$dir"
say "built in ${elapsed}s: $bin"
echo "$bin"
