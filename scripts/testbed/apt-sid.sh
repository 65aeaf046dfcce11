# shellcheck shell=bash
# A private apt configuration for a Debian suite the machine does not list: unstable (sid),
# where Debian's newest kernel is, and bookworm-backports, where the bed's second QEMU is
# (qemu-backports.sh). The machine's apt sources list only its own suites and are never
# changed: each such configuration has its own sources file, package lists and cache in the
# bed's cache folder (apt-SUITE/), and names the same Debian archive the machine uses, with that
# suite, checked with the machine's Debian archive keyring. Every apt call for such a package
# passes "${APT_OPTS[@]}" (packages.sh). The functions take the suite as an optional first
# argument; without it they mean sid.

# How old (seconds) sid's package lists may be before a run refreshes them: unstable gets a
# new kernel every week or two, and an old list names .debs the archive has already removed.
SID_LISTS_MAX_AGE=${BARLUA_SID_LISTS_MAX_AGE:-21600}

sid_dir() {
  printf '%s/apt-%s\n' "$(testbed_cache_root)" "${1:-sid}"
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
  dir=$(sid_dir "${1:-sid}")
  APT_OPTS=(
    -o "Dir::Etc::sourcelist=$dir/sources.list" -o Dir::Etc::sourceparts=/dev/null
    -o "Dir::State::Lists=$dir/lists" -o "Dir::Cache=$dir/cache"
    -o Dir::Etc::preferencesparts=/dev/null -o Dir::Etc::preferences=/dev/null
    -o APT::Default-Release=
  )
}

# sid_lists_age [SUITE]: seconds since the suite's lists were fetched; empty when there are none.
sid_lists_age() {
  local lists suite=${1:-sid}
  lists=$(find "$(sid_dir "$suite")/lists" -maxdepth 1 -name "*_dists_${suite}_InRelease" -printf '%T@\n' \
    2>/dev/null | head -n 1)
  [[ -n $lists ]] || return 0
  echo $(($(date +%s) - ${lists%.*}))
}

# ensure_sid_lists [SUITE]: set APT_OPTS to the private configuration of SUITE (default sid),
# fetching or refreshing its package lists when missing or older than SID_LISTS_MAX_AGE. Without
# network, old lists are used (with a message); no lists at all ends the run.
ensure_sid_lists() {
  local suite=${1:-sid} dir age keyring=/usr/share/keyrings/debian-archive-keyring.gpg name
  dir=$(sid_dir "$suite")
  name="Debian $suite"
  [[ $suite == sid ]] && name="Debian unstable"
  sid_apt_opts "$suite"
  age=$(sid_lists_age "$suite")
  [[ -n $age && $age -lt $SID_LISTS_MAX_AGE ]] && return 0
  cache_lock
  age=$(sid_lists_age "$suite")
  [[ -n $age && $age -lt $SID_LISTS_MAX_AGE ]] && return 0
  [[ -f $keyring ]] || bed_fail "no Debian archive keyring at $keyring (install debian-archive-keyring)"
  mkdir -p "$dir/lists/partial" "$dir/cache/archives/partial" ||
    bed_fail "cannot create the private apt folder $dir"
  # apt's download sandbox user (_apt) writes into partial/.
  chmod 755 "$dir" "$dir/lists" "$dir/lists/partial" 2>/dev/null || true
  echo "deb [signed-by=$keyring] $(sid_archive_uri) $suite main" >"$dir/sources.list"
  log "fetching $name's package lists (private apt configuration in $dir)"
  if ! apt-get "${APT_OPTS[@]}" -q update >"$dir/update.log" 2>&1 ||
    grep -qE '^(E: |W: (Failed to fetch|Some index files))' "$dir/update.log"; then
    sed 's/^/  apt: /' "$dir/update.log" | grep -v unsandboxed >&2
    if [[ -n $age ]]; then
      err "could not refresh $name's package lists; using the ones from $((age / 3600)) h ago"
      return 0
    fi
    bed_fail "could not fetch $name's package lists (apt-get update failed; no network?)"
  fi
}
