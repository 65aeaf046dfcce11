# shellcheck shell=bash
# vfio.ko with CONFIG_VFIO_NOIOMMU, for the guest's no-IOMMU mode (/dev/vfio/noiommu-N).
# Debian builds every kernel without it, so only drivers/vfio is rebuilt out of tree against the
# kernel's own headers (same Module.symvers: the stock vfio-pci modules load on top of it).
# Needs the resolved kernel (kernel_resolve) first.

noiommu_dir() {
  printf '%s/noiommu/%s_%s\n' "$(testbed_cache_root)" "$KERNEL_RELEASE" "$KERNEL_DEB_VERSION"
}

# host_tool_runs FILE: false when FILE is a program this machine's C library cannot run (Debian
# unstable's linux-kbuild programs need a newer glibc than Debian 12's 2.36).
host_tool_runs() {
  local out
  out=$("$1" --help 2>&1 </dev/null)
  [[ $out != *'version `GLIBC_'* ]]
}

# build_host_tools WORK SRC KBUILD HEADERS MAKEVARS...: build modpost and objtool from the
# kernel source SRC with this machine's compiler and put them where the headers' build tree
# (KBUILD = its linux-kbuild folder) runs them. modpost needs devicetable-offsets.h, which is
# generated from the kernel's own headers with the target compiler (as scripts/mod/Makefile
# does); objtool needs libelf.
build_host_tools() {
  local work=$1 src=$2 kbuild=$3 headers=$4
  shift 4
  local mod=$src/scripts/mod offsets=$work/devicetable-offsets
  log "the kernel's modpost/objtool need a newer C library than this machine's:" \
    "building them from $(basename "$src") with gcc-12"
  mkdir -p "$offsets"
  cp "$mod/devicetable-offsets.c" "$offsets/" && echo 'obj-m += devicetable-offsets.o' >"$offsets/Kbuild"
  if ! {
    make -s -C "$headers" M="$offsets" "$@" devicetable-offsets.s >"$work/host-tools.log" 2>&1 &&
      sed -ne 's:^[[:space:]]*\.ascii[[:space:]]*"\(.*\)".*:\1:; /^->/{s:->#\(.*\):/* \1 */:; s:^->\([^ ]*\) [\$#]*\([^ ]*\) \(.*\):#define \1 \2 /* \3 */:; s:->::; p;}' \
        "$offsets/devicetable-offsets.s" >"$mod/devicetable-offsets.h" &&
      gcc-12 -O2 -o "$mod/mk_elfconfig" "$mod/mk_elfconfig.c" &&
      gcc-12 -c -o "$mod/empty.o" "$mod/empty.c" &&
      "$mod/mk_elfconfig" <"$mod/empty.o" >"$mod/elfconfig.h" &&
      (cd "$mod" && gcc-12 -O2 -I. -I../include -o modpost modpost.c file2alias.c sumversion.c \
        symsearch.c) >>"$work/host-tools.log" 2>&1 &&
      make -C "$src/tools/objtool" HOSTCC=gcc-12 CC=gcc-12 >>"$work/host-tools.log" 2>&1
  }; then
    tail -n 30 "$work/host-tools.log" >&2
    err "building modpost/objtool from $(basename "$src") failed (log above)"
    return 1
  fi
  # The packaged names are wrappers that exec the real programs: replace them.
  cp "$mod/modpost" "$kbuild/scripts/mod/modpost" &&
    cp "$src/tools/objtool/objtool" "$kbuild/tools/objtool/objtool"
}

# build_noiommu DIR: fetch source and headers, build vfio.ko into DIR.
build_noiommu() {
  local dir=$1 series work pkg deb
  series=$(kernel_series_of_release "$KERNEL_RELEASE")
  work=$dir/.work
  mkdir -p "$work/root"
  # linux-headers-<release> and its own Depends that carry the build tree (-common, kbuild).
  local hdr=linux-headers-$KERNEL_RELEASE pkgs=()
  mapfile -t pkgs < <(echo "$hdr"; deb_depends "$hdr" | grep -E '^linux-(headers-.*-common|kbuild-)')
  [[ ${#pkgs[@]} -ge 3 ]] || { err "cannot resolve the Depends of $hdr: ${pkgs[*]}"; return 1; }
  for pkg in "${pkgs[@]}"; do
    deb=$(fetch_deb "$pkg" "$(deb_version "$pkg")") || return 1
    dpkg -x "$deb" "$work/root" || { err "cannot unpack $deb"; return 1; }
  done
  local headers=$work/root/usr/src/$hdr kbuild
  kbuild=$(find "$work/root/usr/lib" -mindepth 1 -maxdepth 1 -name 'linux-kbuild-*' | head -n 1)
  [[ -d $kbuild/scripts ]] || { err "${pkgs[*]} hold no linux-kbuild tree"; return 1; }
  # Host programs of the kbuild package this machine cannot run are rebuilt from the source.
  local src=linux-source-$series tools_ok=1
  local paths=("$src/drivers/vfio")
  local tool
  for tool in scripts/mod/modpost.real-lsb-64 scripts/mod/modpost tools/objtool/objtool.real-x86 \
    tools/objtool/objtool; do
    [[ ! -f $kbuild/$tool ]] || host_tool_runs "$kbuild/$tool" || tools_ok=0
  done
  [[ $tools_ok == 1 ]] || paths+=("$src/scripts" "$src/tools" "$src/include" "$src/arch/x86")
  [[ -n $(apt-cache "${APT_OPTS[@]}" show "$src=$KERNEL_DEB_VERSION" 2>/dev/null) ]] ||
    { err "apt has no $src version $KERNEL_DEB_VERSION (the version of the guest kernel)"; return 1; }
  deb=$(fetch_deb "$src" "$KERNEL_DEB_VERSION") || return 1
  log "extracting ${paths[*]#"$src/"} from $src"
  dpkg-deb --fsys-tarfile "$deb" | tar -xO "./usr/src/$src.tar.xz" | xz -dc -T0 |
    tar -x -C "$work" "${paths[@]}" || { err "cannot extract ${paths[*]} from $deb"; return 1; }
  # The headers' Makefile names the build tree and the -common tree by absolute /usr/src paths.
  sed -i -E "s#(^include |=)/usr/src/#\1$work/root/usr/src/#" "$headers/Makefile"
  # The compiler the kernel was built with, or this machine's gcc-12 (unstable's kernel is built
  # with a newer gcc); flags that gcc 12 does not know are switched off by their CONFIG_CC_HAS_.
  local cc_vars=() want_cc
  # shellcheck disable=SC2016 # $(CROSS_COMPILE) is make's syntax in the file read, not the shell's
  want_cc=$(sed -n 's/^CC = .*\$(CROSS_COMPILE)\(gcc-[0-9]*\) *$/\1/p' "$headers/.kernelvariables" 2>/dev/null)
  if [[ -n $want_cc ]] && ! command -v "x86_64-linux-gnu-$want_cc" >/dev/null; then
    log "the kernel was built with $want_cc, which Debian 12 lacks: building with gcc-12"
    cc_vars=(CC=x86_64-linux-gnu-gcc-12 CONFIG_CC_HAS_MIN_FUNCTION_ALIGNMENT=
      CONFIG_CC_HAS_COUNTED_BY= CONFIG_CC_HAS_COUNTED_BY_PTR=)
  fi
  if [[ $tools_ok == 0 ]]; then
    build_host_tools "$work" "$work/$src" "$kbuild" "$headers" "${cc_vars[@]}" || return 1
  fi
  log "building vfio.ko with CONFIG_VFIO_NOIOMMU for $KERNEL_RELEASE"
  make -s -C "$headers" M="$work/$src/drivers/vfio" "${cc_vars[@]}" \
    CONFIG_VFIO_NOIOMMU=y KCFLAGS=-DCONFIG_VFIO_NOIOMMU=1 CONFIG_DEBUG_INFO_BTF_MODULES= \
    CONFIG_VFIO_PCI= CONFIG_VFIO_PCI_CORE= CONFIG_VFIO_MDEV= CONFIG_VFIO_IOMMU_TYPE1= \
    CONFIG_VFIO_PLATFORM= CONFIG_VFIO_PLATFORM_BASE= CONFIG_VFIO_FSL_MC= CONFIG_VFIO_CDX= \
    modules >"$work/make.log" 2>&1 || {
    tail -n 30 "$work/make.log" >&2
    err "make of drivers/vfio failed (log above)"
    return 1
  }
  local ko=$work/$src/drivers/vfio/vfio.ko
  grep -q enable_unsafe_noiommu_mode "$ko" ||
    { err "the rebuilt $ko has no enable_unsafe_noiommu_mode parameter"; return 1; }
  grep -qa "vermagic=$KERNEL_RELEASE " "$ko" ||
    { err "the rebuilt $ko is not for $KERNEL_RELEASE"; return 1; }
  cp "$ko" "$dir/vfio.ko"
  rm -rf "$work"
}

# ensure_noiommu: build (if needed); sets NOIOMMU_DIR.
ensure_noiommu() {
  NOIOMMU_DIR=$(noiommu_dir)
  cache_build "$NOIOMMU_DIR" "no-IOMMU vfio.ko for $KERNEL_RELEASE" build_noiommu
}
