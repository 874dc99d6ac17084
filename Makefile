# 信易贷助手 — every task of the project is a target here; `make help` lists them.
SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help
MAKEFLAGS += --no-print-directory

export UV_PYTHON_DOWNLOADS := never
export UV_LINK_MODE := copy
# Rasa phones home and checks for updates unless told not to.
export RASA_TELEMETRY_ENABLED := false
export SQLALCHEMY_SILENCE_UBER_WARNING := 1

BOT_VENV := .venv-bot
BACKEND_VENV := .venv-backend
BOT_PY := $(BOT_VENV)/bin/python
BACKEND_PY := $(BACKEND_VENV)/bin/python
UV := $(or $(shell command -v uv 2>/dev/null),.tools/bin/uv)

BACKEND_PORT ?= 8000
ACTIONS_PORT ?= 5055
RASA_PORT ?= 5005
export BACKEND_PORT ACTIONS_PORT RASA_PORT

# The embedded default: one SQLite file under var/.
DATABASE_URL ?= sqlite:///$(CURDIR)/var/xinyidai.db
export DATABASE_URL
TEST_POSTGRES_URL ?= postgresql+psycopg://postgres@127.0.0.1:5432/test
export TEST_POSTGRES_URL
# Data at scale and the benchmark: 200,000 enterprises in a schema of their own (SCALE_SCHEMA).
SCALE_DATABASE_URL ?= postgresql+psycopg://postgres@127.0.0.1:5432/test
SCALE_SCHEMA ?= xinyidai_scale
export SCALE_DATABASE_URL SCALE_SCHEMA

RASA_ARGS := --config bot/config.yml --domain bot/domain --data bot/data nlu_data

.PHONY: help
help: ## 列出所有命令 / list the targets
	@grep -hE '^[a-zA-Z_-]+:.*## ' $(MAKEFILE_LIST) | awk 'BEGIN {FS = ":.*## "}; {printf "  make %-16s %s\n", $$1, $$2}'

# ---------------------------------------------------------------- environments
.tools/bin/uv:
	@echo "==> 安装 uv（依赖锁定与快速安装）"
	@"$$(scripts/find_python.sh 3.11)" -m venv .tools
	@.tools/bin/pip install --quiet uv==0.13.8

$(BOT_VENV)/.synced: requirements/bot.lock.txt | $(UV)
	@echo "==> 准备机器人环境 $(BOT_VENV)（Python 3.10, Rasa 3.6.21）"
	@py=$$(scripts/find_python.sh 3.10); \
	  [ -x $(BOT_PY) ] && $(BOT_PY) -c 'import sys; sys.exit(sys.version_info[:2] != (3, 10))' || $(UV) venv --quiet --python "$$py" $(BOT_VENV)
	@VIRTUAL_ENV=$(BOT_VENV) $(UV) pip sync --quiet requirements/bot.lock.txt
	@touch $@

$(BACKEND_VENV)/.synced: requirements/backend.lock.txt | $(UV)
	@echo "==> 准备后端环境 $(BACKEND_VENV)（Python 3.11, FastAPI）"
	@py=$$(scripts/find_python.sh 3.11); \
	  [ -x $(BACKEND_PY) ] && $(BACKEND_PY) -c 'import sys; sys.exit(sys.version_info[:2] != (3, 11))' || $(UV) venv --quiet --python "$$py" $(BACKEND_VENV)
	@VIRTUAL_ENV=$(BACKEND_VENV) $(UV) pip sync --quiet requirements/backend.lock.txt
	@touch $@

.PHONY: venvs
venvs: $(BOT_VENV)/.synced $(BACKEND_VENV)/.synced ## 创建/更新两个虚拟环境

.PHONY: lock
lock: | $(UV) ## 重新锁定依赖版本（改了 requirements/*.in 之后）
	$(UV) pip compile --quiet --python "$$(scripts/find_python.sh 3.10)" requirements/bot.in -o requirements/bot.lock.txt
	$(UV) pip compile --quiet --python "$$(scripts/find_python.sh 3.11)" requirements/backend.in -o requirements/backend.lock.txt

# ---------------------------------------------------------------- data and model
.PHONY: db
db: $(BACKEND_VENV)/.synced ## 建库、迁移并载入示范城市
	@$(BACKEND_PY) scripts/stack.py prepare-db

.PHONY: seed
seed: db ## 同 db：载入示范城市（已载入则跳过）

.PHONY: seed-scale
seed-scale: $(BACKEND_VENV)/.synced ## 在 PostgreSQL 独立 schema 中载入 20 万家企业（规模测试用）
	@$(BACKEND_PY) scripts/seed_scale.py

.PHONY: model
model: $(BOT_VENV)/.synced ## 训练数据或配置变了才重新训练
	@scripts/train_model.sh

.PHONY: nlu-report
nlu-report: model ## 在留出测试集上评估 NLU（各意图 F1），写 docs/nlu-report.md
	@$(BOT_PY) scripts/evaluate_nlu.py

# ---------------------------------------------------------------- run
.PHONY: run
run: venvs db model ## 启动后端、动作服务器与 Rasa，打印对话地址
	@$(BACKEND_PY) scripts/stack.py

# ---------------------------------------------------------------- checks
.PHONY: lint
lint: $(BACKEND_VENV)/.synced ## ruff 检查与格式检查
	$(BACKEND_VENV)/bin/ruff check .
	$(BACKEND_VENV)/bin/ruff format --check .

.PHONY: format
format: $(BACKEND_VENV)/.synced ## ruff 自动修复与格式化
	$(BACKEND_VENV)/bin/ruff check --fix .
	$(BACKEND_VENV)/bin/ruff format .

.PHONY: validate
validate: $(BOT_VENV)/.synced ## rasa data validate
	$(BOT_VENV)/bin/rasa data validate $(RASA_ARGS)

.PHONY: test-backend
test-backend: $(BACKEND_VENV)/.synced ## 后端测试（SQLite 与 PostgreSQL）
	$(BACKEND_VENV)/bin/pytest tests/backend tests/test_compose.py

.PHONY: test-bot
test-bot: $(BOT_VENV)/.synced $(BACKEND_VENV)/.synced ## 训练数据、NLU 组件、追踪存储与动作服务器测试
	$(BOT_VENV)/bin/pytest tests/nlu tests/bot tests/actions

.PHONY: test-stories
test-stories: venvs model ## 各业务流程的中文测试对话（rasa test core，预测错误即失败）
	$(BOT_VENV)/bin/rasa test core --stories tests/stories --model models/current.tar.gz \
	  --fail-on-prediction-errors --out tests/artifacts/stories

.PHONY: test-e2e
test-e2e: venvs model chromium ## 启动三个真实服务做端到端对话测试（含无头浏览器中的 H5 页面）
	$(BACKEND_VENV)/bin/pytest tests/e2e tests/browser tests/after_e2e

.PHONY: test-browser
test-browser: venvs model chromium ## 只跑浏览器测试（无头 Chromium 中的 H5 对话页）
	$(BACKEND_VENV)/bin/pytest tests/browser

# Debian's chromium and chromedriver for tests/browser, and a Chinese font for their screenshots.
# Installed under CI=true when root; elsewhere a missing browser makes the browser tests skip with a
# message (under CI=true they fail).
BROWSER_PACKAGES := chromium chromium-driver fonts-wqy-microhei
.PHONY: chromium
chromium:
	@if command -v chromium >/dev/null 2>&1 && command -v chromedriver >/dev/null 2>&1 \
	  && [ -e /usr/share/fonts/truetype/wqy/wqy-microhei.ttc ]; then :; \
	elif [ "$${CI:-}" = true ] && [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	  echo "==> 安装浏览器测试所需的 chromium、chromedriver 与中文字体 / installing chromium (apt-get)"; \
	  apt-get install -y -qq $(BROWSER_PACKAGES) >/dev/null 2>&1 || \
	  { apt-get update -qq >/dev/null && apt-get install -y -qq $(BROWSER_PACKAGES) >/dev/null; }; \
	else \
	  echo "未安装 chromium/chromedriver/中文字体：浏览器测试可能跳过，CI=true 时失败（apt-get install $(BROWSER_PACKAGES)）"; \
	fi

.PHONY: bench-backend
bench-backend: $(BACKEND_VENV)/.synced ## 后端性能基准：20 万家企业上的自查、匹配与注册写入
	@command -v wrk >/dev/null 2>&1 || $(MAKE) --no-print-directory wrk
	@$(BACKEND_PY) scripts/bench_backend.py

# The benchmark's load generator (Debian's wrk package). Without it (not root, no apt-get) the
# benchmark says so and falls back to its Python httpx generator.
.PHONY: wrk
wrk:
	@if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	  echo "==> 安装压测工具 wrk / installing wrk (apt-get)"; \
	  apt-get install -y -qq wrk >/dev/null 2>&1 || \
	  { apt-get update -qq >/dev/null && apt-get install -y -qq wrk >/dev/null; } || \
	  echo "wrk 安装失败，基准将改用 httpx 压测端 / could not install wrk, falling back to httpx"; \
	else \
	  echo "未安装 wrk：请以 root 运行 apt-get install -y wrk；本次基准改用 httpx 压测端 / wrk is not installed (apt-get install -y wrk); falling back to httpx"; \
	fi

.PHONY: bench-events
bench-events: venvs model ## 推广活动负载：500 人扫活动码经微信渠道注册（SQLite 与 PostgreSQL）
	@$(BACKEND_PY) scripts/bench_events.py

.PHONY: bench
bench: bench-backend bench-events ## 全部性能基准：后端、推广活动负载

.PHONY: test
test: venvs lint validate test-backend test-bot test-stories test-e2e ## 安装所需并运行全部测试
	@echo "全部测试通过 / all tests passed"
