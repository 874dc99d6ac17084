#!/usr/bin/env bash
# Prints the path of a Python interpreter of the wanted minor version (e.g. 3.10),
# looking on PATH first and then under pyenv; exits 1 with a clear message otherwise.
set -euo pipefail
want="$1"
if command -v "python$want" >/dev/null 2>&1; then
  candidate=$(command -v "python$want")
  # a pyenv shim may exist without that version being selected: ask it for its real path
  real=$("$candidate" -c 'import sys; print(sys.executable)' 2>/dev/null || true)
  if [ -n "$real" ]; then echo "$real"; exit 0; fi
fi
if command -v pyenv >/dev/null 2>&1; then
  for dir in $(ls -d "$(pyenv root)/versions/$want".* 2>/dev/null | sort -V -r); do
    if [ -x "$dir/bin/python$want" ]; then echo "$dir/bin/python$want"; exit 0; fi
  done
fi
echo "未找到 Python $want：请安装 python$want（例如 'pyenv install $want' 或 'apt-get install python$want'）后重试。" >&2
echo "Python $want not found: install python$want (on PATH or under pyenv) and try again." >&2
exit 1
