# shellcheck shell=bash
# Reading scripts/testbed/kernels.tsv, the one table of the guest kernels the bed knows
# (sourced by kernel.sh, suite, scripts/demo and Tests/twoboot/persistence.sh).
KERNELS_TSV=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/kernels.tsv

# kernel_rows: the table's rows, comments and blank lines left out.
kernel_rows() {
  grep -vE '^(#|[[:space:]]*$)' "$KERNELS_TSV"
}

# kernel_column SERIES N: column N (1 series, 2 suite, 3 package, 4 release, 5 pattern,
# 6 quirks, 7 noiommu) of SERIES's row; empty when the table has no such row.
kernel_column() {
  kernel_rows | awk -F'\t' -v s="$1" -v c="$2" '$1 == s { print $c; exit }'
}

# kernel_default: the first row's series (the bed's default kernel).
kernel_default() {
  kernel_rows | head -n 1 | cut -f1
}

# kernel_choices: what --kernel takes, as one word per row (the sid row as `newest`).
kernel_choices() {
  kernel_rows | awk -F'\t' '{ print ($2 == "sid" ? "newest" : $1) }'
}
