# shellcheck shell=bash
# The test bed's cache: ${BARLUA_CACHE:-$HOME/.cache/barlua}/testbed, outside git.
#
# Every cached artifact is a folder built in a temporary sibling and renamed into place only when
# complete; its last file is `.stamp`, the sha256 of every other file in it. A folder without a
# stamp (a build that was cut off) or whose files no longer match it (corruption) is rebuilt.
# All building and checking happens under one exclusive flock, so runs at the same time never see
# each other's half-built files; once the artifacts are checked each run uses only its own
# working folder.

testbed_cache_root() {
  printf '%s/testbed\n' "${BARLUA_CACHE:-$HOME/.cache/barlua}"
}

# cache_lock: take the cache's exclusive lock on file descriptor 9 (waits for other runs).
cache_lock() {
  local root
  root=$(testbed_cache_root)
  mkdir -p "$root" || bed_fail "cannot create the cache folder $root"
  exec 9>"$root/.lock" || bed_fail "cannot open the cache lock $root/.lock"
  if ! flock -n 9; then
    log "waiting for another run that holds the cache lock $root/.lock"
    flock 9 || bed_fail "flock on $root/.lock failed"
  fi
}

cache_unlock() {
  flock -u 9 2>/dev/null || true
  exec 9>&-
}

# cache_stamp DIR: write DIR/.stamp with the checksum of every file in DIR.
cache_stamp() {
  local dir=$1
  (cd "$dir" && find . -type f ! -name .stamp ! -name .stamp.tmp -print0 | sort -z | xargs -0 -r sha256sum) \
    >"$dir/.stamp.tmp" || return 1
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
# Must be called with the cache lock held.
cache_build() {
  local dir=$1 what=$2 builder=$3
  shift 3
  if cache_valid "$dir"; then
    return 0
  fi
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
    bed_fail "building $what failed (see the messages above)"
  fi
  cache_stamp "$tmp" || {
    rm -rf "$tmp"
    bed_fail "cannot write the stamp of $what"
  }
  mv -T "$tmp" "$dir" || bed_fail "cannot rename $tmp to $dir"
  log "cache: $what ready in $((SECONDS - started)) s"
}

# cache_clean_temps: remove temporary folders left by builds that were killed (lock held).
cache_clean_temps() {
  local root
  root=$(testbed_cache_root)
  find "$root" -mindepth 1 -maxdepth 3 -name '*.tmp.*' -exec rm -rf {} + 2>/dev/null || true
}
