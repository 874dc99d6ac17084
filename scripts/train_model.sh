#!/usr/bin/env bash
# Trains the Rasa model only when its inputs changed. The model is named by a hash of the training
# data, the config, the custom pipeline components (bot/components), the domain and the locked bot
# environment, and kept in a cache outside the checkout, so a fresh clone (or CI) with the same
# inputs reuses it instead of training again.
# Leaves models/current.tar.gz pointing at the model for these inputs and prints its path.
set -euo pipefail
cd "$(dirname "$0")/.."

cache_dir="${MODEL_CACHE_DIR:-$HOME/.cache/xinyidai/models}"
inputs=(bot/config.yml bot/components bot/domain bot/data nlu_data requirements/bot.lock.txt)
hash=$(find "${inputs[@]}" -type f -not -name '*.pyc' -print0 | LC_ALL=C sort -z \
  | xargs -0 sha256sum | sha256sum | cut -c1-16)
name="xinyidai-$hash"
mkdir -p models "$cache_dir"

if [ -f "models/$name.tar.gz" ]; then
  echo "==> 模型已是最新（$name），无需训练" >&2
elif [ -f "$cache_dir/$name.tar.gz" ]; then
  echo "==> 从缓存取回模型 $name" >&2
  cp "$cache_dir/$name.tar.gz" "models/$name.tar.gz"
else
  echo "==> 训练数据或配置有变化，开始训练模型 $name（2 核约需数分钟，下面是进度）" >&2
  start=$(date +%s)
  .venv-bot/bin/rasa train --config bot/config.yml --domain bot/domain --data bot/data nlu_data \
    --out models --fixed-model-name "$name" >&2
  echo "==> 训练完成，用时 $(( $(date +%s) - start )) 秒" >&2
  cp "models/$name.tar.gz" "$cache_dir/$name.tar.gz.tmp" && mv "$cache_dir/$name.tar.gz.tmp" "$cache_dir/$name.tar.gz"
fi
ln -sfn "$name.tar.gz" models/current.tar.gz
# Older models stay in the cache (the newest five), not in the checkout.
find models -maxdepth 1 -name 'xinyidai-*.tar.gz' ! -name "$name.tar.gz" -delete
ls -t "$cache_dir"/xinyidai-*.tar.gz 2>/dev/null | tail -n +6 | xargs -r rm -f
echo "models/current.tar.gz"
