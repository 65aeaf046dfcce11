# shellcheck shell=bash
# The test bed's cache: ${BARLUA_CACHE:-$HOME/.cache/barlua}/testbed, outside git.
#
# Every cached artifact is a folder built in a temporary sibling and renamed into place only when
# complete; its last file is `.stamp`, the sha256 of every other file in it. A folder without a
# stamp (a build that was cut off) or whose files no longer match it (corruption) is rebuilt.
# All building happens under one exclusive flock, so runs at the same time never see each
# other's half-built files. A run whose artifacts are all valid takes no lock: a valid folder is
# only ever created by a rename and never removed. Each run otherwise uses only its own folders.

testbed_cache_root() {
  printf '%s/testbed\n' "${BARLUA_CACHE:-$HOME/.cache/barlua}"
}

CACHE_LOCKED=0

# cache_lock: take the cache's exclusive lock on file descriptor 9 (waits for other runs), then
# remove what builds that were killed left behind. Does nothing when already held.
cache_lock() {
  [[ $CACHE_LOCKED == 1 ]] && return 0
  local root
  root=$(testbed_cache_root)
  mkdir -p "$root" || bed_fail "cannot create the cache folder $root"
  exec 9>"$root/.lock" || bed_fail "cannot open the cache lock $root/.lock"
  if ! flock -n 9; then
    log "waiting for another run that holds the cache lock $root/.lock"
    flock 9 || bed_fail "flock on $root/.lock failed"
  fi
  CACHE_LOCKED=1
  find "$root" -mindepth 1 -maxdepth 3 \( -name '*.tmp.*' -o -name '.fetch.*' \) -prune \
    -exec rm -rf {} + 2>/dev/null || true
}

cache_unlock() {
  [[ $CACHE_LOCKED == 1 ]] || return 0
  flock -u 9 2>/dev/null || true
  exec 9>&-
  CACHE_LOCKED=0
}

# cache_stamp DIR: write DIR/.stamp with the checksum of every file in DIR.
cache_stamp() {
  local dir=$1
  (cd "$dir" && find . -type f ! -name .stamp ! -name .stamp.tmp -print0 | sort -z |
    xargs -0 -r sha256sum) >"$dir/.stamp.tmp" || return 1
  mv "$dir/.stamp.tmp" "$dir/.stamp"
}

# cache_valid DIR: true when DIR has a stamp and every file matches it and no file is missing
# from it.
cache_valid() {
  local dir=$1
  [[ -f $dir/.stamp ]] || return 1
  (cd "$dir" && sha256sum --quiet --strict -c .stamp >/dev/null 2>&1) || return 1
  local listed present
  listed=$(wc -l <"$dir/.stamp")
  present=$(cd "$dir" && find . -type f ! -name .stamp | wc -l)
  [[ $listed -eq $present ]]
}

# cache_build DIR WHAT BUILDER [ARGS...]: make sure DIR holds a valid artifact; if not, run
# `BUILDER TMPDIR ARGS...` to fill a temporary folder, stamp it and rename it to DIR.
# Takes the cache lock when something must be built. With CACHE_BUILD_MAY_FAIL=1 a failed build
# returns 1 instead of ending the run.
cache_build() {
  local dir=$1 what=$2 builder=$3
  shift 3
  cache_valid "$dir" && return 0
  cache_lock
  cache_valid "$dir" && return 0 # built by the run we waited for
  if [[ -e $dir ]]; then
    log "cache: $what in $dir is incomplete or corrupt; rebuilding it"
    rm -rf "$dir"
  else
    log "cache: building $what in $dir"
  fi
  local tmp
  mkdir -p "$(dirname "$dir")"
  tmp=$(mktemp -d "$dir.tmp.XXXXXX") || bed_fail "cannot create a temporary folder next to $dir"
  local started=$SECONDS
  if ! "$builder" "$tmp" "$@"; then
    rm -rf "$tmp"
    [[ ${CACHE_BUILD_MAY_FAIL:-0} == 1 ]] && return 1
    bed_fail "building $what failed (see the messages above)"
  fi
  cache_stamp "$tmp" || {
    rm -rf "$tmp"
    bed_fail "cannot write the stamp of $what"
  }
  mv -T "$tmp" "$dir" || bed_fail "cannot rename $tmp to $dir"
  log "cache: $what ready in $((SECONDS - started)) s"
}
