# shellcheck shell=bash
# A private apt configuration for Debian unstable (sid), where Debian's newest kernel is. The
# machine's apt sources list only its own suites and are never changed: this configuration
# has its own sources file, package lists and cache in the bed's cache folder, and names the
# same Debian archive the machine uses, with suite sid, checked with the machine's Debian
# archive keyring. Every apt call for a sid package passes "${APT_OPTS[@]}" (packages.sh).

# How old (seconds) sid's package lists may be before a run refreshes them: unstable gets a
# new kernel every week or two, and an old list names .debs the archive has already removed.
SID_LISTS_MAX_AGE=${BARLUA_SID_LISTS_MAX_AGE:-21600}

sid_dir() {
  printf '%s/apt-sid\n' "$(testbed_cache_root)"
}

# sid_archive_uri: the Debian archive URI the machine's own sources use (deb.debian.org unless
# the machine names a mirror).
sid_archive_uri() {
  local uri
  # shellcheck disable=SC2016 # $(REPO_URI) is apt's own template syntax, not the shell's
  uri=$(apt-get indextargets --format '$(REPO_URI) $(RELEASE)' 2>/dev/null |
    awk '$2 !~ /-(security|updates|backports)$/ && $1 !~ /security/ {print $1; exit}')
  printf '%s\n' "${uri:-http://deb.debian.org/debian/}"
}

sid_apt_opts() {
  local dir
  dir=$(sid_dir)
  APT_OPTS=(
    -o "Dir::Etc::sourcelist=$dir/sources.list" -o Dir::Etc::sourceparts=/dev/null
    -o "Dir::State::Lists=$dir/lists" -o "Dir::Cache=$dir/cache"
    -o Dir::Etc::preferencesparts=/dev/null -o Dir::Etc::preferences=/dev/null
    -o APT::Default-Release=
  )
}

# sid_lists_age: seconds since the sid lists were fetched; empty when there are none.
sid_lists_age() {
  local lists
  lists=$(find "$(sid_dir)/lists" -maxdepth 1 -name '*_dists_sid_InRelease' -printf '%T@\n' \
    2>/dev/null | head -n 1)
  [[ -n $lists ]] || return 0
  echo $(($(date +%s) - ${lists%.*}))
}

# ensure_sid_lists: set APT_OPTS to the private configuration, fetching or refreshing sid's
# package lists when missing or older than SID_LISTS_MAX_AGE. Without network, old lists are
# used (with a message); no lists at all ends the run.
ensure_sid_lists() {
  local dir age keyring=/usr/share/keyrings/debian-archive-keyring.gpg
  dir=$(sid_dir)
  sid_apt_opts
  age=$(sid_lists_age)
  [[ -n $age && $age -lt $SID_LISTS_MAX_AGE ]] && return 0
  cache_lock
  age=$(sid_lists_age)
  [[ -n $age && $age -lt $SID_LISTS_MAX_AGE ]] && return 0
  [[ -f $keyring ]] || bed_fail "no Debian archive keyring at $keyring (install debian-archive-keyring)"
  mkdir -p "$dir/lists/partial" "$dir/cache/archives/partial" ||
    bed_fail "cannot create the private apt folder $dir"
  # apt's download sandbox user (_apt) writes into partial/.
  chmod 755 "$dir" "$dir/lists" "$dir/lists/partial" 2>/dev/null || true
  echo "deb [signed-by=$keyring] $(sid_archive_uri) sid main" >"$dir/sources.list"
  log "fetching Debian unstable's package lists (private apt configuration in $dir)"
  if ! apt-get "${APT_OPTS[@]}" -q update >"$dir/update.log" 2>&1 ||
    grep -qE '^(E: |W: (Failed to fetch|Some index files))' "$dir/update.log"; then
    sed 's/^/  apt: /' "$dir/update.log" | grep -v unsandboxed >&2
    if [[ -n $age ]]; then
      err "could not refresh Debian unstable's package lists; using the ones from $((age / 3600)) h ago"
      return 0
    fi
    bed_fail "could not fetch Debian unstable's package lists (apt-get update failed; no network?)"
  fi
}
