# bash completion for barlua and its script commands (barlua-persistence, barlua-dump-info,
# barlua-pat-trace, barlua-bar-timing, barlua-regs, barlua-reload, barlua-doctor), also as `barlua scripts/NAME.lua ...` in a checkout.
# --device completes the PCI addresses bound to vfio-pci (read from sysfs, or from
# $BARLUA_SYSFS_PCI when set), --bar the BAR numbers 0-5.
# Names read from the system are data, never code: they are not given to compgen -W (which
# expands its word list, so a folder named '$(cmd)' would run cmd), and only names that are PCI
# addresses are offered.

# Sets COMPREPLY to the addresses of devices bound to vfio-pci that start with $1.
_barlua_vfio_devices() {
  local root=${BARLUA_SYSFS_PCI:-/sys/bus/pci/devices} d drv name
  local address='^[0-9a-fA-F]{4,8}:[0-9a-fA-F]{2}:[0-9a-fA-F]{2}\.[0-7]$'
  COMPREPLY=()
  for d in "$root"/*; do
    name=${d##*/}
    [[ $name =~ $address && $name == "$1"* && -e $d/driver ]] || continue
    drv=$(readlink -- "$d/driver") || continue
    [[ ${drv##*/} == vfio-pci ]] && COMPREPLY+=("$name")
  done
}

# The addresses of every PCI device (barlua-doctor checks any of them).
_barlua_pci_devices() {
  local root=${BARLUA_SYSFS_PCI:-/sys/bus/pci/devices} d
  for d in "$root"/*; do
    [[ -e $d ]] && printf '%s\n' "${d##*/}"
  done
}

# Options of each script (checked against its --help by the tests).
_barlua_script_options() {
  case $1 in
  persistence) echo "-h --help --device --id --bar --method --file --reset --reload --matrix --read-only --json" ;;
  dump_info) echo "-h --help --vfio" ;;
  pat_trace) echo "-h --help --device --bar --method --json" ;;
  bar_timing) echo "-h --help --device --bar --file --count --size --methods --write --csv --json --svg --scale" ;;
  regs) echo "-h --help --map --block --device --bar --file --snapshot --diff" ;;
  reload) echo "-h --help --device --program --timeout --wait --map" ;;
  doctor) echo "-h --help --json" ;;
  esac
}

# The words with PCI addresses kept whole: bash splits words at ':' (COMP_WORDBREAKS);
# bash-completion's helper joins them again when it is loaded (as it is for installed files).
# Sets cur, prev, words, cword of the caller.
_barlua_words() {
  if declare -F _get_comp_words_by_ref >/dev/null; then
    _get_comp_words_by_ref -n : cur prev words cword
  else
    words=("${COMP_WORDS[@]}") cword=$COMP_CWORD cur=${COMP_WORDS[COMP_CWORD]}
    prev=${COMP_WORDS[COMP_CWORD - 1]}
  fi
}

# Completes the options of script $1 (persistence, dump_info, ...) whose arguments start at
# words[$2].
_barlua_script() {
  local script=$1
  ((cword > $2)) || prev=""
  case $prev in
  --device)
    _barlua_vfio_devices "$cur"
    declare -F __ltrim_colon_completions >/dev/null && __ltrim_colon_completions "$cur"
    return
    ;;
  --bar) mapfile -t COMPREPLY < <(compgen -W "0 1 2 3 4 5" -- "$cur"); return ;;
  --method) mapfile -t COMPREPLY < <(compgen -W "vfio sysfs sysfs-wc" -- "$cur"); return ;;
  --methods)
    local done="" rest=$cur
    [[ $cur == *,* ]] && done=${cur%,*}, rest=${cur##*,}
    mapfile -t COMPREPLY < <(compgen -P "$done" -W "vfio vfio-wc sysfs sysfs-wc sysfs-wc-flush file file-flush" -- "$rest")
    return
    ;;
  --reset) mapfile -t COMPREPLY < <(compgen -W "vfio flr pm bus hot" -- "$cur"); return ;;
  --scale) mapfile -t COMPREPLY < <(compgen -W "auto log linear" -- "$cur"); return ;;
  --file | --svg | --snapshot | --diff) mapfile -t COMPREPLY < <(compgen -f -- "$cur"); return ;;
  --map)
    # reload.lua's --map is a file; regs.lua's names a memory map inside the description.
    [[ $script == reload ]] && mapfile -t COMPREPLY < <(compgen -f -- "$cur")
    return
    ;;
  --id | --count | --size | --block | --program | --timeout | --wait | --reload) return ;;
  esac
  if [[ $cur == -* ]]; then
    mapfile -t COMPREPLY < <(compgen -W "$(_barlua_script_options "$script")" -- "$cur")
  elif [[ $script == doctor ]]; then # the device to check
    mapfile -t COMPREPLY < <(compgen -W "$(_barlua_pci_devices)" -- "$cur")
    declare -F __ltrim_colon_completions >/dev/null && __ltrim_colon_completions "$cur"
  elif [[ $script == regs ]]; then # the IP-XACT description
    mapfile -t COMPREPLY < <(compgen -f -X '!*.xml' -- "$cur"; compgen -d -- "$cur")
  fi
}

_barlua() {
  local cur prev words cword i w
  _barlua_words
  COMPREPLY=()
  # A script already on the line: complete its options (the scripts of this package by name).
  for ((i = 1; i < cword; i++)); do
    w=${words[i]}
    case $w in
    -e | -l) ((i++)); continue ;;
    --) ;;
    -*) continue ;;
    esac
    [[ $w == -- ]] && continue
    w=${w##*/}
    w=${w%.lua}
    [[ -n $(_barlua_script_options "$w") ]] && _barlua_script "$w" "$((i + 1))"
    return
  done
  case $prev in
  -e | -l) return ;;
  esac
  if [[ $cur == -* ]]; then
    mapfile -t COMPREPLY < <(compgen -W "-e -i -l -v -E -W -- - --help --version" -- "$cur")
  else
    mapfile -t COMPREPLY < <(compgen -f -X '!*.lua' -- "$cur"; compgen -d -- "$cur")
  fi
}

_barlua_command() {
  local cur prev words cword
  _barlua_words
  COMPREPLY=()
  local name=${words[0]##*/}
  name=${name#barlua-}
  _barlua_script "${name//-/_}" 1
}

complete -F _barlua barlua
complete -F _barlua_command barlua-persistence barlua-dump-info barlua-pat-trace barlua-bar-timing barlua-regs barlua-reload barlua-doctor
